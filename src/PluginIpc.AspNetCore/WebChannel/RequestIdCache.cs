namespace PluginIpc.AspNetCore.WebChannel;

/// <summary>
/// The WebChannel's idempotency: the first answer of each (user, requestId) within a window, so that a repeated request gets
/// it instead of running again; a repeat while the first still runs waits for it. Bounded: the oldest ids are forgotten first.
/// </summary>
internal sealed class RequestIdCache
{
    /// <summary>The most ids remembered at once.</summary>
    public const int Capacity = 10_000;

    private readonly TimeSpan _window;
    private readonly int _capacity;
    private readonly TimeProvider _time;
    private readonly Dictionary<(string User, string RequestId), LinkedListNode<Entry>> _entries = [];
    private readonly LinkedList<Entry> _byAge = new();

    public RequestIdCache(TimeSpan window, TimeProvider time, int capacity = Capacity)
    {
        _window = window;
        _time = time;
        _capacity = capacity;
    }

    /// <summary>Gets how many ids are remembered.</summary>
    public int Count
    {
        get
        {
            lock (_entries)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// Returns the first answer to (<paramref name="user"/>, <paramref name="requestId"/>) within the window, or runs
    /// <paramref name="run"/> for it. An answer <paramref name="run"/> marks not to keep is given to those already waiting, then forgotten.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> ended a wait for the first answer.</exception>
    public async Task<byte[]> RunAsync(string user, string requestId, Func<Task<(byte[] Response, bool Keep)>> run, CancellationToken cancellationToken)
    {
        if (_window <= TimeSpan.Zero)
        {
            return (await run().ConfigureAwait(false)).Response;
        }

        var key = (user, requestId);
        LinkedListNode<Entry>? node = null;
        Task<byte[]>? first = null;
        lock (_entries)
        {
            long now = _time.GetTimestamp();
            while (_byAge.First is { } expired && _time.GetElapsedTime(expired.Value.Created, now) >= _window)
            {
                Forget(expired);
            }

            if (_entries.TryGetValue(key, out LinkedListNode<Entry>? existing))
            {
                first = existing.Value.Answer.Task;
            }
            else
            {
                while (_entries.Count >= _capacity)
                {
                    Forget(_byAge.First!);
                }

                node = _byAge.AddLast(new Entry(key, now));
                _entries.Add(key, node);
            }
        }

        if (first is not null)
        {
            return await first.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            (byte[] response, bool keep) = await run().ConfigureAwait(false);
            node!.Value.Answer.TrySetResult(response);
            if (!keep)
            {
                Remove(node);
            }

            return response;
        }
        catch (Exception ex)
        {
            Remove(node!);
            node!.Value.Answer.TrySetException(ex);
            throw;
        }
    }

    private void Remove(LinkedListNode<Entry> node)
    {
        lock (_entries)
        {
            if (node.List is not null)
            {
                Forget(node);
            }
        }
    }

    private void Forget(LinkedListNode<Entry> node)
    {
        _byAge.Remove(node);
        _entries.Remove(node.Value.Key);
    }

    private sealed class Entry((string, string) key, long created)
    {
        public (string User, string RequestId) Key { get; } = key;

        public long Created { get; } = created;

        public TaskCompletionSource<byte[]> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
