namespace PluginIpc;

/// <summary>The unit that crosses the wire: a thread id, a direction, a command and a body.</summary>
/// <remarks>Instances are immutable once initialized and safe to share between threads.</remarks>
public sealed class Chunk
{
    /// <summary>Gets the id that correlates a <see cref="Direction.Response"/> with its <see cref="Direction.Request"/>.</summary>
    /// <value>Defaults to 0, which one-way messages may carry.</value>
    public ulong ThreadId { get; init; }

    /// <summary>Gets the kind of the chunk.</summary>
    /// <value>Defaults to <see cref="Direction.Noop"/>.</value>
    public Direction Direction { get; init; }

    /// <summary>Gets the command, like a URL path. A response repeats its request's command or is <c>cmd.error</c>.</summary>
    /// <value>Defaults to the empty string.</value>
    public string Cmd { get; init; } = string.Empty;

    /// <summary>Gets the body, opaque to the protocol.</summary>
    /// <value>Defaults to empty.</value>
    public ReadOnlyMemory<byte> Buffer { get; init; }

    /// <summary>Gets optional metadata, such as a W3C <c>traceparent</c>.</summary>
    /// <value>Defaults to <see langword="null"/>. Only the <c>msgpack</c> framing carries headers; the <c>text</c> framing drops them.</value>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Direction} #{ThreadId} '{Cmd}' ({Buffer.Length} bytes{(Headers is { Count: > 0 } h ? $", {h.Count} headers" : "")})";
}
