using System.ComponentModel;

namespace PluginIpc.Contracts;

/// <summary>The calls of a contract's proxy to one peer. For generated code.</summary>
/// <remarks>
/// A call's request is the array of its arguments in the peer's serializer format, sent with the method's command; its
/// answer is the result's value (empty for none). Thread safe.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ContractClient
{
    private readonly ContractMethod[] _methods; // an array: indexing the descriptor's list is an interface call per use
    private readonly object?[] _answers;
    private ShapeCheck? _check;

    internal ContractClient(IChunkPeer peer, ContractDescriptor descriptor)
    {
        Peer = peer;
        Descriptor = descriptor;
        Serializer = PluginSerializers.Resolve(peer.Serializer);
        Session = ContractSession.For(peer);
        _methods = [.. descriptor.Methods];
        _answers = new object?[_methods.Length];
    }

    /// <summary>Gets the peer the calls go to.</summary>
    public IChunkPeer Peer { get; }

    /// <summary>Gets the contract.</summary>
    public ContractDescriptor Descriptor { get; }

    internal IPluginSerializer Serializer { get; }

    internal ContractSession Session { get; }

    /// <summary>Starts the arguments of a call of method <paramref name="method"/>.</summary>
    /// <param name="method">The method's index in <see cref="ContractDescriptor.Methods"/>.</param>
    /// <returns>The writer of its arguments.</returns>
    public ContractArgumentWriter BeginCall(int method) =>
        new(Serializer, method, _methods[method].WireArgumentCount);

    /// <summary>Calls a method that returns nothing.</summary>
    /// <param name="arguments">Its arguments, all written.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the other side has run it.</returns>
    public Task CallAsync(ref ContractArgumentWriter arguments, CancellationToken cancellationToken) =>
        CallAsync<NoResult>(ref arguments, cancellationToken);

    /// <summary>Calls a method that returns a <typeparamref name="TResult"/>.</summary>
    /// <typeparam name="TResult">The result's type.</typeparam>
    /// <param name="arguments">Its arguments, all written.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The result.</returns>
    public Task<TResult> CallAsync<TResult>(ref ContractArgumentWriter arguments, CancellationToken cancellationToken)
    {
        int method = arguments.Method;
        ReadOnlyMemory<byte> payload = arguments.Complete(pooled: TypedPayload.IsLibraryPeer(Peer));
        if (FindMismatch(method) is { } mismatch)
        {
            return Task.FromException<TResult>(new ProtocolException(mismatch));
        }

        string cmd = _methods[method].Cmd;
        var answer = (Func<ReceivedChunk, TResult>)(_answers[method] ??= CreateAnswer<TResult>(cmd));
        if (arguments.Progress is not { } progress)
        {
            return ChunkPeerExtensions.Call(Peer, cmd, payload, Peer.DefaultCallTimeout, answer, cancellationToken);
        }

        Session.AddProgress(arguments.ProgressToken, progress);
        return CallWithProgressAsync(cmd, payload, answer, arguments.ProgressToken, cancellationToken);
    }

    /// <summary>Calls a method that returns a stream; the call goes out when the stream is enumerated.</summary>
    /// <typeparam name="T">The items' type.</typeparam>
    /// <param name="arguments">Its arguments, all written.</param>
    /// <param name="cancellationToken">Ends the stream; so does the enumerator's own token.</param>
    /// <returns>The stream.</returns>
    public IAsyncEnumerable<T> Stream<T>(ref ContractArgumentWriter arguments, CancellationToken cancellationToken)
    {
        int method = arguments.Method;
        arguments.Write(RemoteStream<T>.Window);
        ReadOnlyMemory<byte> payload = arguments.Complete();
        return new RemoteStream<T>(this, Descriptor.Methods[method].Cmd, payload, FindMismatch(method), cancellationToken);
    }

    private async Task<TResult> CallWithProgressAsync<TResult>(string cmd, ReadOnlyMemory<byte> payload, Func<ReceivedChunk, TResult> answer, long token, CancellationToken cancellationToken)
    {
        // Forgotten as the answer is read, on the read loop: a report that comes after the answer never reaches the caller.
        ContractSession session = Session;
        Func<ReceivedChunk, TResult> answerThenForget = response =>
        {
            session.RemoveProgress(token);
            return answer(response);
        };
        try
        {
            return await ChunkPeerExtensions.Call(Peer, cmd, payload, Peer.DefaultCallTimeout, answerThenForget, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Session.RemoveProgress(token); // an error answer, a timeout or a cancel: nothing reads the answer
        }
    }

    private Func<ReceivedChunk, TResult> CreateAnswer<TResult>(string cmd)
    {
        if (typeof(TResult) == typeof(NoResult))
        {
            return static _ => default!;
        }

        IPluginSerializer serializer = Serializer;
        IChunkPeer peer = Peer;
        return response => TypedPayload.ReadAnswer<TResult>(serializer, response.Buffer, peer.Name, cmd);
    }

    /// <summary>Returns why method <paramref name="method"/> cannot be called: the other side announced another shape of the contract.</summary>
    internal string? FindMismatch(int method)
    {
        if (Peer is not IContractPeer { RemoteMetadata: { } metadata })
        {
            return null;
        }

        ShapeCheck? check = Volatile.Read(ref _check);
        if (check is null || !ReferenceEquals(check.Metadata, metadata))
        {
            // Checked once per handshake: a restarted plugin brings new metadata.
            string?[]? mismatches = metadata.TryGetValue(Descriptor.MetadataKey, out string? shape)
                ? ContractShape.FindMismatches(Descriptor, shape, $"{Peer.GetType().Name} '{Peer.Name}'")
                : null;
            check = new ShapeCheck(metadata, mismatches);
            Volatile.Write(ref _check, check);
        }

        return check.Mismatches?[method];
    }

    /// <summary>The outcome of comparing the contract with the shape in one handshake's metadata.</summary>
    private sealed record ShapeCheck(IReadOnlyDictionary<string, string> Metadata, string?[]? Mismatches);

    /// <summary>The result of a method that returns nothing, whose answer is empty.</summary>
    private readonly struct NoResult;
}
