namespace PluginIpc.Tests.TypedContracts;

/// <summary>A contract with bytes in and out as <see cref="ReadOnlyMemory{T}"/>, which the msgpack serializer reads in place.</summary>
[PluginContract]
public interface IByteSlices
{
    /// <summary>Returns <paramref name="bytes"/> from <paramref name="skip"/> on, reversed.</summary>
    Task<ReadOnlyMemory<byte>> ReverseAsync(ReadOnlyMemory<byte> bytes, int skip);
}
