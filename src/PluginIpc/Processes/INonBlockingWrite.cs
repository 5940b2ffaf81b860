namespace PluginIpc;

/// <summary>A stream that can take bytes now, without waiting, so the channel's writer can send a large buffer from where it lies.</summary>
internal interface INonBlockingWrite
{
    /// <summary>Writes what the stream takes now of <paramref name="first"/> then <paramref name="second"/>, without waiting.</summary>
    /// <returns>How many bytes it took, counted from the start of <paramref name="first"/>.</returns>
    /// <exception cref="IOException">The write failed.</exception>
    /// <exception cref="ObjectDisposedException">The stream is closed.</exception>
    int WriteNow(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second);
}
