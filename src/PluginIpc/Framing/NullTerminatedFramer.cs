using System.Buffers;

namespace PluginIpc;

/// <summary>The <c>text</c> framing (skeleton, replaced by the real implementation).</summary>
public sealed class NullTerminatedFramer : IChunkFramer
{
    private readonly FramerOptions _options;

    /// <summary>Initializes a new instance with the protocol's default limits.</summary>
    public NullTerminatedFramer()
        : this(new FramerOptions())
    {
    }

    /// <summary>Initializes a new instance with <paramref name="options"/>.</summary>
    /// <param name="options">The limits to enforce.</param>
    public NullTerminatedFramer(FramerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Validate();
    }

    /// <inheritdoc/>
    public string Name => "text";

    /// <inheritdoc/>
    public void Write(Chunk chunk, IBufferWriter<byte> output) => throw new NotImplementedException(_options.ToString());

    /// <inheritdoc/>
    public bool TryRead(ref ReadOnlySequence<byte> input, out Chunk? chunk) => throw new NotImplementedException();
}
