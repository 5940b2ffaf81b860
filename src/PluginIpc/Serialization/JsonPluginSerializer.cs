using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace PluginIpc;

/// <summary>
/// The <c>json</c> format of typed calls, by System.Text.Json: UTF-8 JSON, for plugins in languages that prefer it. With a
/// <see cref="JsonSerializerContext"/> it needs no reflection, which makes it the format of NativeAOT and trimmed applications.
/// </summary>
public sealed class JsonPluginSerializer : IPluginSerializer
{
    private readonly JsonSerializerOptions _options;

    /// <summary>Initializes the serializer with the types of <paramref name="context"/>: no reflection, NativeAOT ready.</summary>
    /// <param name="context">A source-generated context that lists every type the typed calls carry.</param>
    public JsonPluginSerializer(JsonSerializerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        // The context's own types first; then what contracts write themselves (stream ids, progress tokens), which it need not list.
        _options = new JsonSerializerOptions(context.Options)
        {
            TypeInfoResolver = JsonTypeInfoResolver.Combine(context, ContractJsonContext.Default),
        };
        _options.MakeReadOnly();
    }

    /// <summary>Initializes the serializer with <paramref name="options"/>, or the web defaults (camelCase names), reading types by reflection.</summary>
    /// <param name="options">The options; <see langword="null"/> for <see cref="JsonSerializerDefaults.Web"/>.</param>
    [RequiresDynamicCode("System.Text.Json reads user types by reflection without a JsonSerializerContext.")]
    [RequiresUnreferencedCode("System.Text.Json reads user types by reflection without a JsonSerializerContext.")]
    public JsonPluginSerializer(JsonSerializerOptions? options = null)
    {
        _options = options ?? new JsonSerializerOptions(JsonSerializerDefaults.Web);
        _options.TypeInfoResolver ??= new DefaultJsonTypeInfoResolver();
        _options.MakeReadOnly();
    }

    /// <summary>The format's name: <c>json</c>.</summary>
    public const string FormatName = "json";

    /// <inheritdoc/>
    public string Name => FormatName;

    /// <inheritdoc/>
    public void Serialize<T>(IBufferWriter<byte> writer, T value)
    {
        // One writer per thread, pointed at each call's buffer: a Utf8JsonWriter per value would be most of a small call's garbage.
        Utf8JsonWriter json = t_writer ??= new Utf8JsonWriter(Stream.Null);
        json.Reset(writer);
        try
        {
            JsonSerializer.Serialize(json, value, TypeInfo<T>());
            json.Flush();
        }
        finally
        {
            json.Reset(Stream.Null); // let go of the caller's buffer
        }
    }

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <inheritdoc/>
    public T Deserialize<T>(ReadOnlyMemory<byte> buffer) => JsonSerializer.Deserialize(buffer.Span, TypeInfo<T>())!;

    /// <inheritdoc/>
    public void WriteArrayStart(IBufferWriter<byte> writer, int length) => WriteByte(writer, (byte)'[');

    /// <inheritdoc/>
    public void WriteArraySeparator(IBufferWriter<byte> writer) => WriteByte(writer, (byte)',');

    /// <inheritdoc/>
    public void WriteArrayEnd(IBufferWriter<byte> writer) => WriteByte(writer, (byte)']');

    /// <inheritdoc/>
    public int ReadArray(ReadOnlyMemory<byte> buffer, Span<Range> items)
    {
        var reader = new Utf8JsonReader(buffer.Span); // at most 64 levels deep, as every System.Text.Json read here
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            {
                throw new FormatException("The JSON is not an array.");
            }

            int count = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (count == items.Length)
                {
                    throw new FormatException($"The JSON array has more than {items.Length} values.");
                }

                int start = (int)reader.TokenStartIndex;
                reader.Skip();
                items[count++] = start..(int)reader.BytesConsumed;
            }

            if (reader.TokenType != JsonTokenType.EndArray || reader.Read())
            {
                throw new FormatException("The JSON array does not end where the buffer ends.");
            }

            return count;
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The JSON is not an array: {ex.Message}", ex);
        }
    }

    private static void WriteByte(IBufferWriter<byte> writer, byte value)
    {
        writer.GetSpan(1)[0] = value;
        writer.Advance(1);
    }

    private JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)_options.GetTypeInfo(typeof(T));
}
