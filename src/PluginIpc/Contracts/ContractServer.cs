using System.ComponentModel;

namespace PluginIpc.Contracts;

/// <summary>Registers the handlers of a contract's methods, each running the target's implementation. For generated code.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ContractServer
{
    private const int MaxSharedArguments = 16;

    [ThreadStatic]
    private static Range[]? t_values;

    private readonly Action<string, ChunkHandler> _register;

    internal ContractServer(ContractDescriptor descriptor, Action<string, ChunkHandler> register)
    {
        Descriptor = descriptor;
        _register = register;
    }

    /// <summary>Gets the contract.</summary>
    public ContractDescriptor Descriptor { get; }

    /// <summary>Handles method <paramref name="method"/>, which returns a <see cref="Task"/>.</summary>
    /// <param name="method">The method's index in <see cref="ContractDescriptor.Methods"/>.</param>
    /// <param name="invoke">Reads the arguments and calls the target.</param>
    public void Handle(int method, Func<ContractArguments, CancellationToken, Task> invoke)
    {
        ArgumentNullException.ThrowIfNull(invoke);
        Register(method, (arguments, serializer, cancellationToken) => TypedPayload.Answer(invoke(arguments, cancellationToken)));
    }

    /// <summary>Handles method <paramref name="method"/>, which returns a <see cref="Task{TResult}"/>.</summary>
    /// <typeparam name="TResult">The result's type.</typeparam>
    /// <param name="method">The method's index in <see cref="ContractDescriptor.Methods"/>.</param>
    /// <param name="invoke">Reads the arguments and calls the target.</param>
    public void Handle<TResult>(int method, Func<ContractArguments, CancellationToken, Task<TResult>> invoke)
    {
        ArgumentNullException.ThrowIfNull(invoke);
        Register(method, (arguments, serializer, cancellationToken) => TypedPayload.Answer(invoke(arguments, cancellationToken), serializer, arguments.FromLibraryPeer));
    }

    /// <summary>Handles method <paramref name="method"/>, which returns a <see cref="ValueTask"/>.</summary>
    /// <param name="method">The method's index in <see cref="ContractDescriptor.Methods"/>.</param>
    /// <param name="invoke">Reads the arguments and calls the target.</param>
    public void HandleValue(int method, Func<ContractArguments, CancellationToken, ValueTask> invoke)
    {
        ArgumentNullException.ThrowIfNull(invoke);
        Register(method, (arguments, serializer, cancellationToken) => TypedPayload.Answer(invoke(arguments, cancellationToken)));
    }

    /// <summary>Handles method <paramref name="method"/>, which returns a <see cref="ValueTask{TResult}"/>.</summary>
    /// <typeparam name="TResult">The result's type.</typeparam>
    /// <param name="method">The method's index in <see cref="ContractDescriptor.Methods"/>.</param>
    /// <param name="invoke">Reads the arguments and calls the target.</param>
    public void HandleValue<TResult>(int method, Func<ContractArguments, CancellationToken, ValueTask<TResult>> invoke)
    {
        ArgumentNullException.ThrowIfNull(invoke);
        Register(method, (arguments, serializer, cancellationToken) => TypedPayload.Answer(invoke(arguments, cancellationToken), serializer, arguments.FromLibraryPeer));
    }

    /// <summary>Handles method <paramref name="method"/>, which returns an <see cref="IAsyncEnumerable{T}"/>: a stream of items.</summary>
    /// <typeparam name="T">The items' type.</typeparam>
    /// <param name="method">The method's index in <see cref="ContractDescriptor.Methods"/>.</param>
    /// <param name="invoke">Reads the arguments and calls the target; the token ends the stream.</param>
    public void HandleStream<T>(int method, Func<ContractArguments, CancellationToken, IAsyncEnumerable<T>> invoke)
    {
        ArgumentNullException.ThrowIfNull(invoke);
        ContractMethod described = Descriptor.Methods[method];

        // The stream messages find the peer's streams through the peer they come from: registered with the first stream method.
        _register(Commands.StreamNext, static (chunk, peer, token) => ContractSession.For(peer).Producers.HandleNextAsync(chunk, peer, token));
        _register(Commands.StreamEnd, static (chunk, peer, token) => ContractSession.For(peer).Producers.HandleEnd(chunk, peer, token));
        _register(described.Cmd, (chunk, peer, requestToken) =>
        {
            IPluginSerializer serializer = PluginSerializers.Resolve(peer.Serializer);
            ContractArguments arguments = ReadArguments(described, chunk, peer, serializer, progress: null);
            int window = StreamProducers.CheckWindow(arguments.Read<long>(described.ArgumentCount), described.Cmd);
            return ContractSession.For(peer).Producers.OpenAsync(serializer, described.Cmd, window, token => invoke(arguments, token), requestToken);
        });
    }

    private void Register(int method, Func<ContractArguments, IPluginSerializer, CancellationToken, ValueTask<ReadOnlyMemory<byte>>> run)
    {
        ContractMethod described = Descriptor.Methods[method];
        bool reportsProgress = (described.Features & ContractMethodFeatures.Progress) != 0;
        _register(described.Cmd, reportsProgress ? RunWithProgressAsync : Run);

        ValueTask<ReadOnlyMemory<byte>> Run(Chunk chunk, IChunkPeer peer, CancellationToken cancellationToken)
        {
            IPluginSerializer serializer = PluginSerializers.Resolve(peer.Serializer);
            return run(ReadArguments(described, chunk, peer, serializer, progress: null), serializer, cancellationToken);
        }

        async ValueTask<ReadOnlyMemory<byte>> RunWithProgressAsync(Chunk chunk, IChunkPeer peer, CancellationToken cancellationToken)
        {
            IPluginSerializer serializer = PluginSerializers.Resolve(peer.Serializer);
            var progress = new List<RemoteProgress>(1);
            try
            {
                return await run(ReadArguments(described, chunk, peer, serializer, progress), serializer, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                foreach (RemoteProgress reporter in progress)
                {
                    await reporter.EndAsync().ConfigureAwait(false); // later reports are dropped; earlier ones go out before the answer
                }
            }
        }
    }

    /// <exception cref="RemoteException">The request is not an array of the method's arguments: answered <see cref="ErrorCodes.InvalidRequest"/>.</exception>
    private static ContractArguments ReadArguments(ContractMethod method, Chunk chunk, IChunkPeer peer, IPluginSerializer serializer, List<RemoteProgress>? progress)
    {
        int expected = method.WireArgumentCount;
        // The handler reads every argument before it calls the implementation, on this thread: one array per thread serves all calls.
        Range[] values = expected <= MaxSharedArguments ? t_values ??= new Range[MaxSharedArguments] : new Range[expected];
        int count;
        try
        {
            count = serializer.ReadArray(chunk.Buffer, values.AsSpan(0, expected)); // a longer array fails: it has no room
        }
        catch (FormatException ex)
        {
            throw new RemoteException(ErrorCodes.InvalidRequest, $"'{method.Cmd}' ({method.Signature}) takes an array of {expected} arguments in the {serializer.Name} format; the {chunk.Buffer.Length} bytes sent are not one: {ex.Message}");
        }

        if (count != expected)
        {
            throw new RemoteException(ErrorCodes.InvalidRequest, $"'{method.Cmd}' ({method.Signature}) takes {expected} arguments; the request has {count}.");
        }

        return new ContractArguments(peer, serializer, method, chunk.Buffer, values, progress);
    }
}
