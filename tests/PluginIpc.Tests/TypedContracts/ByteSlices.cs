namespace PluginIpc.Tests.TypedContracts;

/// <summary>Implements <see cref="IByteSlices"/> and keeps the last argument it got, as it got it.</summary>
public sealed class ByteSlices : IByteSlices
{
    /// <summary>Gets the bytes of the last call.</summary>
    public ReadOnlyMemory<byte> Received { get; private set; }

    /// <inheritdoc/>
    public Task<ReadOnlyMemory<byte>> ReverseAsync(ReadOnlyMemory<byte> bytes, int skip)
    {
        Received = bytes;
        byte[] reversed = bytes[skip..].ToArray();
        Array.Reverse(reversed);
        return Task.FromResult<ReadOnlyMemory<byte>>(reversed);
    }
}
