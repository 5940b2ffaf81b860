namespace PluginIpc;

/// <summary>
/// One asynchronous lock per file path, made while someone holds or waits for it and dropped after (bounded by the writers at
/// the time, not by every path ever written). Paths compare case-insensitively: on a case-insensitive file system two
/// spellings are one file, and on the others sharing a lock costs only some waiting.
/// </summary>
internal sealed class FileLocks
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _lock = new();

    /// <summary>Waits for the lock of <paramref name="path"/>; dispose the result to release it.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired while waiting.</exception>
    public async ValueTask<Releaser> AcquireAsync(string path, CancellationToken cancellationToken)
    {
        Entry entry;
        lock (_lock)
        {
            if (!_entries.TryGetValue(path, out entry!))
            {
                entry = new Entry();
                _entries.Add(path, entry);
            }

            entry.Users++;
        }

        try
        {
            await entry.Semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Leave(path, entry);
            throw;
        }

        return new Releaser(this, path, entry);
    }

    private void Leave(string path, Entry entry)
    {
        lock (_lock)
        {
            if (--entry.Users == 0)
            {
                _entries.Remove(path);
                entry.Semaphore.Dispose();
            }
        }
    }

    /// <summary>Holds a file's lock until disposed.</summary>
    public readonly struct Releaser : IDisposable
    {
        private readonly FileLocks _owner;
        private readonly string _path;
        private readonly Entry _entry;

        public Releaser(FileLocks owner, string path, Entry entry)
        {
            _owner = owner;
            _path = path;
            _entry = entry;
        }

        public void Dispose()
        {
            _entry.Semaphore.Release();
            _owner.Leave(_path, _entry);
        }
    }

    /// <summary>A path's lock and how many hold or wait for it (under the table's lock).</summary>
    internal sealed class Entry
    {
        public SemaphoreSlim Semaphore { get; } = new(1, 1);

        public int Users { get; set; }
    }
}
