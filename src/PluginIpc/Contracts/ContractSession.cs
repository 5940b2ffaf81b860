using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace PluginIpc.Contracts;

/// <summary>
/// The contract state of one peer: the progress objects of its calls in flight (as caller), with the handler of
/// <c>cmd.progress</c>, registered on first use, and the streams it produces (as callee).
/// </summary>
internal sealed class ContractSession
{
    private static readonly ConditionalWeakTable<IChunkPeer, ContractSession> s_sessions = new();

    private readonly IChunkPeer _peer;
    private readonly ConcurrentDictionary<long, ProgressSink> _progress = new();
    private readonly Lock _gate = new();
    private StreamProducers? _producers;
    private long _lastProgressToken;
    private bool _handlesProgress;

    private ContractSession(IChunkPeer peer) => _peer = peer;

    /// <summary>Returns the session of <paramref name="peer"/>.</summary>
    public static ContractSession For(IChunkPeer peer) => s_sessions.GetValue(peer, static p => new ContractSession(p));

    /// <summary>Gets the progress objects waiting for reports (for tests).</summary>
    internal int ProgressCount => _progress.Count;

    /// <summary>Gets the streams this side produces (created on first use).</summary>
    public StreamProducers Producers
    {
        get
        {
            if (Volatile.Read(ref _producers) is { } producers)
            {
                return producers;
            }

            lock (_gate)
            {
                if (_producers is null)
                {
                    Volatile.Write(ref _producers, new StreamProducers(_peer));
                }

                return _producers;
            }
        }
    }

    /// <summary>Returns a progress token that no other call of this peer has.</summary>
    public long NewProgressToken() => Interlocked.Increment(ref _lastProgressToken);

    /// <summary>Registers <paramref name="sink"/> to receive the reports that name <paramref name="token"/>, before its call is sent.</summary>
    public void AddProgress(long token, ProgressSink sink)
    {
        EnsureProgressHandler();
        _progress[token] = sink;
    }

    /// <summary>Stops delivering reports to the call with <paramref name="token"/>: it has ended.</summary>
    public void RemoveProgress(long token) => _progress.TryRemove(token, out _);

    private void EnsureProgressHandler()
    {
        if (Volatile.Read(ref _handlesProgress))
        {
            return;
        }

        lock (_gate)
        {
            if (_handlesProgress)
            {
                return;
            }

            // Reports run on the read loop, so that every report sent before the answer reaches the caller before the call ends.
            ChunkHandler handler = OnProgress;
            if (_peer is IContractPeer peer)
            {
                peer.HandleInline(Commands.Progress, handler);
            }
            else
            {
                _peer.Handle(Commands.Progress, handler);
            }

            Volatile.Write(ref _handlesProgress, true);
        }
    }

    private ValueTask<ReadOnlyMemory<byte>> OnProgress(Chunk chunk, IChunkPeer peer, CancellationToken cancellationToken)
    {
        IPluginSerializer serializer = PluginSerializers.Resolve(peer.Serializer);
        Span<Range> items = stackalloc Range[2];
        int count = serializer.ReadArray(chunk.Buffer, items);
        if (count != 2)
        {
            throw new FormatException($"A {Commands.Progress} message holds {count} values, not [token, value].");
        }

        long token = serializer.Deserialize<long>(chunk.Buffer[items[0]]);
        if (_progress.TryGetValue(token, out ProgressSink? sink))
        {
            sink.Report(serializer, chunk.Buffer[items[1]]); // A report for a call that has ended is dropped, as documented.
        }

        return default;
    }
}
