namespace PluginIpc;

/// <summary>Limits that a framer enforces on every chunk it reads or writes.</summary>
/// <remarks>A framer copies and validates these values once, in its constructor.</remarks>
public sealed class FramerOptions
{
    /// <summary>The protocol's default limit on the UTF-8 length of a command: 4 KiB.</summary>
    public const int DefaultMaxCmdBytes = 4 * 1024;

    /// <summary>The protocol's default limit on the length of a buffer: 64 MiB.</summary>
    public const int DefaultMaxChunkBytes = 64 * 1024 * 1024;

    /// <summary>Gets the largest command, in UTF-8 bytes, that is accepted.</summary>
    /// <value>Defaults to <see cref="DefaultMaxCmdBytes"/>.</value>
    public int MaxCmdBytes { get; init; } = DefaultMaxCmdBytes;

    /// <summary>Gets the largest buffer, in bytes, that is accepted.</summary>
    /// <value>Defaults to <see cref="DefaultMaxChunkBytes"/>.</value>
    public int MaxChunkBytes { get; init; } = DefaultMaxChunkBytes;

    /// <summary>
    /// Returns a validated copy. A framer keeps the copy: init-only properties can still be set through reflection (configuration
    /// binders do), so a framer must not keep the caller's instance.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit is not positive or is too large.</exception>
    internal FramerOptions Snapshot()
    {
        var copy = new FramerOptions { MaxCmdBytes = MaxCmdBytes, MaxChunkBytes = MaxChunkBytes };
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(copy.MaxCmdBytes, nameof(MaxCmdBytes));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(copy.MaxChunkBytes, nameof(MaxChunkBytes));
        // Array.MaxLength bounds what a single buffer can hold.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(copy.MaxChunkBytes, Array.MaxLength, nameof(MaxChunkBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(copy.MaxCmdBytes, Array.MaxLength, nameof(MaxCmdBytes));
        return copy;
    }
}
