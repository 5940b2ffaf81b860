namespace PluginIpc.Tests.Processes;

/// <summary>A count that tasks can wait to reach.</summary>
internal sealed class CountSignal : IDisposable
{
    private readonly SemaphoreSlim _added = new(0);
    private int _count;

    /// <summary>Gets the count so far.</summary>
    public int Count => Volatile.Read(ref _count);

    public void Add()
    {
        Interlocked.Increment(ref _count);
        _added.Release();
    }

    /// <summary>Waits until the count reaches <paramref name="count"/>.</summary>
    public async Task WaitForAsync(int count, CancellationToken cancellationToken)
    {
        while (Volatile.Read(ref _count) < count)
        {
            await _added.WaitAsync(cancellationToken);
        }
    }

    public void Dispose() => _added.Dispose();
}
