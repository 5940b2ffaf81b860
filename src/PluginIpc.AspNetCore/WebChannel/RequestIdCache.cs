namespace PluginIpc.AspNetCore.WebChannel;

/// <summary>
/// The WebChannel's idempotency: the first kept answer of each (user, requestId) within a window, so that the same request
/// repeated gets it instead of running again; a repeat while the first still runs waits for it, and runs itself if that answer
/// is not kept. The id is bound to its request's fingerprint: another request with the same id is refused, never answered
/// with the first one's answer. Bounded in ids and in bytes: the oldest are forgotten first, large answers are not kept.
/// </summary>
internal sealed class RequestIdCache
{
    /// <summary>The most ids remembered at once.</summary>
    public const int Capacity = 10_000;

    /// <summary>The most bytes of answers remembered at once.</summary>
    public const long CapacityBytes = 32L * 1024 * 1024;

    /// <summary>The largest answer remembered; a larger one is given to those waiting for it, then forgotten (a repeat runs again).</summary>
    public const int MaxKeptAnswerBytes = 256 * 1024;

    private readonly TimeSpan _window;
    private readonly int _capacity;
    private readonly long _capacityBytes;
    private readonly int _maxKeptAnswerBytes;
    private readonly TimeProvider _time;
    private readonly Dictionary<(string User, string RequestId), LinkedListNode<Entry>> _entries = [];
    private readonly LinkedList<Entry> _byAge = new();
    private long _bytes;

    public RequestIdCache(TimeSpan window, TimeProvider time, int capacity = Capacity, long capacityBytes = CapacityBytes, int maxKeptAnswerBytes = MaxKeptAnswerBytes)
    {
        _window = window;
        _time = time;
        _capacity = capacity;
        _capacityBytes = capacityBytes;
        _maxKeptAnswerBytes = (int)Math.Min(maxKeptAnswerBytes, capacityBytes);
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

    /// <summary>Gets how many bytes of answers are remembered.</summary>
    public long Bytes
    {
        get
        {
            lock (_entries)
            {
                return _bytes;
            }
        }
    }

    /// <summary>
    /// Returns the first kept answer to (<paramref name="user"/>, <paramref name="requestId"/>) within the window, or runs
    /// <paramref name="run"/> for it. An answer <paramref name="run"/> marks not to keep (or a large one) is returned to its
    /// own asker only: those waiting for it run the request themselves.
    /// </summary>
    /// <returns>The answer, or <see langword="null"/> when the id is remembered for a request with another <paramref name="fingerprint"/>.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> ended a wait for the first answer.</exception>
    public async Task<byte[]?> RunAsync(string user, string requestId, string fingerprint, Func<Task<(byte[] Response, bool Keep)>> run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (_window <= TimeSpan.Zero)
        {
            return (await run().ConfigureAwait(false)).Response;
        }

        var key = (user, requestId);
        while (true)
        {
            LinkedListNode<Entry>? node = null;
            Task<byte[]?>? first = null;
            lock (_entries)
            {
                long now = _time.GetTimestamp();
                while (_byAge.First is { } expired && _time.GetElapsedTime(expired.Value.Created, now) >= _window)
                {
                    Forget(expired);
                }

                if (_entries.TryGetValue(key, out LinkedListNode<Entry>? existing))
                {
                    if (!string.Equals(existing.Value.Fingerprint, fingerprint, StringComparison.Ordinal))
                    {
                        return null;
                    }

                    first = existing.Value.Answer.Task;
                }
                else
                {
                    while (_entries.Count >= _capacity)
                    {
                        Forget(_byAge.First!);
                    }

                    node = _byAge.AddLast(new Entry(key, fingerprint, now));
                    _entries.Add(key, node);
                }
            }

            if (first is not null)
            {
                if (await first.WaitAsync(cancellationToken).ConfigureAwait(false) is { } kept)
                {
                    return kept;
                }

                continue; // the first answer was not kept (did not run, or a transient failure): this request runs itself
            }

            (byte[] Response, bool Keep) answer;
            try
            {
                answer = await run().ConfigureAwait(false);
            }
            catch
            {
                Remove(node!);
                node!.Value.Answer.TrySetResult(null);
                throw;
            }

            bool keep = answer.Keep && answer.Response.Length <= _maxKeptAnswerBytes && Keep(node!, answer.Response.Length);
            if (!keep)
            {
                Remove(node!); // before the waiters wake: a waiter that runs itself must not find this entry again
            }

            node!.Value.Answer.TrySetResult(keep ? answer.Response : null);
            return answer.Response;
        }
    }

    // Counts a kept answer's bytes and forgets the oldest answers while there are too many; false if the entry is gone already.
    private bool Keep(LinkedListNode<Entry> node, int bytes)
    {
        lock (_entries)
        {
            if (node.List is null)
            {
                return false;
            }

            node.Value.Bytes = bytes;
            _bytes += bytes;
            while (_bytes > _capacityBytes && _byAge.First is { } oldest && oldest != node)
            {
                Forget(oldest);
            }

            return true;
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
        _bytes -= node.Value.Bytes;
    }

    private sealed class Entry((string, string) key, string fingerprint, long created)
    {
        public (string User, string RequestId) Key { get; } = key;

        public string Fingerprint { get; } = fingerprint;

        public long Created { get; } = created;

        /// <summary>Gets or sets the bytes of the kept answer (0 while it runs).</summary>
        public int Bytes { get; set; }

        /// <summary>Gets the kept answer, or <see langword="null"/> when it is not kept.</summary>
        public TaskCompletionSource<byte[]?> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
