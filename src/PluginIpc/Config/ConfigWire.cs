using System.Buffers;
using System.Text.Json;

namespace PluginIpc;

/// <summary>
/// The buffers of the configuration commands (docs/PROTOCOL.md, section 11), in the connection's serializer format; values
/// travel as JSON text in a string. Readers answer <see cref="ErrorCodes.InvalidRequest"/> for a buffer that is not what the command takes.
/// </summary>
internal static class ConfigWire
{
    /// <summary>Options of every JSON value the store reads: comments allowed (people edit the files), the default depth.</summary>
    public static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip };

    /// <summary><c>config.get</c> and <c>config.remove</c>: <c>[scope, key]</c>, the key nil for the whole object (get only).</summary>
    public static byte[] Key(IPluginSerializer serializer, PluginConfigScope scope, string? key)
    {
        var writer = new ArrayBufferWriter<byte>(32 + (key?.Length ?? 0));
        serializer.WriteArrayStart(writer, 2);
        serializer.Serialize(writer, ConfigNames.Of(scope));
        serializer.WriteArraySeparator(writer);
        serializer.Serialize(writer, key);
        serializer.WriteArrayEnd(writer);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary><c>config.set</c>: <c>[scope, key, value]</c>, the value as JSON text.</summary>
    public static byte[] Set(IPluginSerializer serializer, PluginConfigScope scope, string key, JsonElement value)
    {
        string json = Compact(value);
        var writer = new ArrayBufferWriter<byte>(32 + key.Length + json.Length + (json.Length / 4));
        serializer.WriteArrayStart(writer, 3);
        serializer.Serialize(writer, ConfigNames.Of(scope));
        serializer.WriteArraySeparator(writer);
        serializer.Serialize(writer, key);
        serializer.WriteArraySeparator(writer);
        serializer.Serialize(writer, json);
        serializer.WriteArrayEnd(writer);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Reads <c>[scope, key]</c>; <paramref name="keyOptional"/>, the key may be nil.</summary>
    public static (PluginConfigScope Scope, string? Key) ReadKey(IPluginSerializer serializer, Chunk chunk, bool keyOptional)
    {
        Span<Range> parts = stackalloc Range[2];
        string shape = keyOptional ? "[scope, key or nil]" : "[scope, key]";
        ReadOnlyMemory<byte> buffer = chunk.Buffer;
        string? scope;
        string? key;
        try
        {
            Parts(serializer, buffer, parts);
            scope = serializer.Deserialize<string?>(buffer[parts[0]]);
            key = serializer.Deserialize<string?>(buffer[parts[1]]);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw Invalid(serializer, chunk, shape, ex.Message);
        }

        if (key is null && !keyOptional)
        {
            throw Invalid(serializer, chunk, shape, "the key is nil");
        }

        return (Scope(chunk, scope), key is null ? null : Key(chunk, key));
    }

    /// <summary>Reads <c>[scope, key, value]</c>; the value is parsed (and checked) JSON.</summary>
    public static (PluginConfigScope Scope, string Key, JsonElement Value) ReadSet(IPluginSerializer serializer, Chunk chunk)
    {
        const string Shape = "[scope, key, value as JSON text]";
        Span<Range> parts = stackalloc Range[3];
        ReadOnlyMemory<byte> buffer = chunk.Buffer;
        string? scope;
        string? key;
        string? json;
        try
        {
            Parts(serializer, buffer, parts);
            scope = serializer.Deserialize<string?>(buffer[parts[0]]);
            key = serializer.Deserialize<string?>(buffer[parts[1]]);
            json = serializer.Deserialize<string?>(buffer[parts[2]]);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw Invalid(serializer, chunk, Shape, ex.Message);
        }

        if (key is null || json is null)
        {
            throw Invalid(serializer, chunk, Shape, key is null ? "the key is nil" : "the value is nil (JSON null is the text \"null\")");
        }

        JsonElement value;
        try
        {
            using JsonDocument document = JsonDocument.Parse(json, DocumentOptions);
            value = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new RemoteException(ErrorCodes.InvalidRequest, $"The value of '{chunk.Cmd}' is not JSON text: {ex.Message}") { Cmd = chunk.Cmd };
        }

        return (Scope(chunk, scope), Key(chunk, key), value);
    }

    /// <summary>The answer of <c>config.get</c>: the value as JSON text (str), or nil when the key is absent.</summary>
    public static byte[] Value(IPluginSerializer serializer, JsonElement? value)
    {
        var writer = new ArrayBufferWriter<byte>(64);
        serializer.Serialize(writer, value is { } json ? Compact(json) : null);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Reads the answer of <c>config.get</c>.</summary>
    /// <exception cref="ProtocolException">It is not a string of JSON text or nil.</exception>
    public static JsonElement? ReadValue(IPluginSerializer serializer, ReadOnlyMemory<byte> answer)
    {
        try
        {
            if (serializer.Deserialize<string?>(answer) is not { } json)
            {
                return null;
            }

            using JsonDocument document = JsonDocument.Parse(json, DocumentOptions);
            return document.RootElement.Clone();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new ProtocolException($"The host's answer to {Commands.ConfigGet} is not JSON text or nil in the {serializer.Name} format: {ex.Message}", ex);
        }
    }

    /// <summary>The answer of <c>config.remove</c>: whether the key was there (bool).</summary>
    public static byte[] Removed(IPluginSerializer serializer, bool removed)
    {
        var writer = new ArrayBufferWriter<byte>(8);
        serializer.Serialize(writer, removed);
        return writer.WrittenSpan.ToArray();
    }

    /// <exception cref="ProtocolException">It is not a bool.</exception>
    public static bool ReadRemoved(IPluginSerializer serializer, ReadOnlyMemory<byte> answer)
    {
        try
        {
            return serializer.Deserialize<bool>(answer);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new ProtocolException($"The host's answer to {Commands.ConfigRemove} is not a bool in the {serializer.Name} format: {ex.Message}", ex);
        }
    }

    /// <summary>The payload of <c>sys.config.changed</c>: UTF-8 JSON <c>{"plugin":…,"scope":…,"key":…}</c>, whatever the connection's format.</summary>
    public static byte[] Changed(string plugin, PluginConfigScope scope, string key)
    {
        var buffer = new ArrayBufferWriter<byte>(48 + plugin.Length + key.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("plugin"u8, plugin);
            writer.WriteString("scope"u8, ConfigNames.Of(scope));
            writer.WriteString("key"u8, key);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The value as JSON text without whitespace or comments (a file's value keeps its layout otherwise).</summary>
    public static string Compact(JsonElement value)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            value.WriteTo(writer);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static PluginConfigScope Scope(Chunk chunk, string? name) =>
        ConfigNames.TryParse(name, out PluginConfigScope scope)
            ? scope
            : throw new RemoteException(ErrorCodes.InvalidRequest, $"'{chunk.Cmd}': the scope '{name}' is not plugin, user or system.") { Cmd = chunk.Cmd };

    private static string Key(Chunk chunk, string key) =>
        ConfigNames.KeyProblem(key) is { } problem ? throw new RemoteException(ErrorCodes.InvalidRequest, $"'{chunk.Cmd}': {problem}") { Cmd = chunk.Cmd } : key;

    private static void Parts(IPluginSerializer serializer, ReadOnlyMemory<byte> buffer, Span<Range> parts)
    {
        int count = serializer.ReadArray(buffer, parts);
        if (count != parts.Length)
        {
            throw new FormatException($"it has {count} values");
        }
    }

    private static RemoteException Invalid(IPluginSerializer serializer, Chunk chunk, string shape, string reason) =>
        new(ErrorCodes.InvalidRequest, $"'{chunk.Cmd}' takes {shape} in the {serializer.Name} format; the {chunk.Buffer.Length} bytes sent are not that: {reason}") { Cmd = chunk.Cmd };
}
