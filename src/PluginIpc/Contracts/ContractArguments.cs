using System.ComponentModel;

namespace PluginIpc.Contracts;

/// <summary>The arguments of a contract call as its handler reads them. For generated code.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct ContractArguments
{
    private readonly IChunkPeer _peer;
    private readonly IPluginSerializer _serializer;
    private readonly ContractMethod _method;
    private readonly ReadOnlyMemory<byte> _payload;
    private readonly Range[] _values;
    private readonly List<RemoteProgress>? _progress;

    /// <summary>Gets a value indicating whether the call came through one of the library's own peers, whose channel hands a pooled answer body back.</summary>
    internal bool FromLibraryPeer => TypedPayload.IsLibraryPeer(_peer);

    internal ContractArguments(IChunkPeer peer, IPluginSerializer serializer, ContractMethod method, ReadOnlyMemory<byte> payload, Range[] values, List<RemoteProgress>? progress)
    {
        _peer = peer;
        _serializer = serializer;
        _method = method;
        _payload = payload;
        _values = values;
        _progress = progress;
    }

    /// <summary>Reads argument <paramref name="index"/>.</summary>
    /// <typeparam name="T">The parameter's declared type.</typeparam>
    /// <param name="index">The argument's position, from 0.</param>
    /// <returns>The argument.</returns>
    /// <exception cref="RemoteException">The value is not a <typeparamref name="T"/>: answered <see cref="ErrorCodes.InvalidRequest"/>.</exception>
    public T Read<T>(int index)
    {
        try
        {
            return TypedPayload.ReadReceived<T>(_serializer, _payload[_values[index]]);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new RemoteException(
                ErrorCodes.InvalidRequest,
                $"Argument {index} of '{_method.Cmd}' ({_method.Signature}) is not a {typeof(T).Name} in the {_serializer.Name} format: {ex.Message}");
        }
    }

    /// <summary>Reads a progress argument: reports go to the caller's progress object until the call ends, and nowhere when it passed none.</summary>
    /// <typeparam name="T">The type of the reports.</typeparam>
    /// <param name="index">The argument's position, from 0.</param>
    /// <returns>The progress object to hand to the implementation; never <see langword="null"/>.</returns>
    public IProgress<T> ReadProgress<T>(int index)
    {
        long? token = Read<long?>(index);
        var progress = new RemoteProgress<T>(_peer, _serializer, token);
        _progress?.Add(progress);
        return progress;
    }
}
