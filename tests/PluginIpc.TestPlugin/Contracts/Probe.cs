using System.Runtime.CompilerServices;
using System.Text.Json;
using PluginIpc.Contracts;
using Samples;

namespace PluginIpc.TestContracts;

/// <summary>The implementation of <see cref="IProbe"/>; <paramref name="peer"/> is the side it runs on's handle on the other side.</summary>
public sealed class Probe(Func<IChunkPeer> peer) : IProbe
{
    private long _produced;
    private int _started;
    private int _ended;
    private IProgress<int>? _endedCallProgress;

    public Task<int> FailAsync(string code, CancellationToken cancellationToken = default) =>
        throw new RemoteException(code, $"failed with {code} on purpose", JsonDocument.Parse("{\"answer\":42}").RootElement);

    public Task<int> CrashAsync(CancellationToken cancellationToken = default) => throw new InvalidOperationException("the probe crashed on purpose");

    public async Task<int> WaitForCancelAsync(IProgress<string> started, CancellationToken cancellationToken = default)
    {
        started.Report("waiting");
        await Task.Delay(Timeout.Infinite, cancellationToken);
        return 0;
    }

    public Task<int> GiveUpAsync(CancellationToken cancellationToken = default) => throw new OperationCanceledException("the probe gave up on its own");

    public async IAsyncEnumerable<int> ThenFailAsync(int count, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (int i = 0; i < count; i++)
        {
            yield return i;
        }

        await Task.Yield();
        throw new RemoteException("MID_STREAM", $"failed after {count} items");
    }

    public async IAsyncEnumerable<int> ForeverAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _started);
        try
        {
            for (int i = 0; ; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Interlocked.Increment(ref _produced);
                if (i % 1000 == 999)
                {
                    await Task.Yield(); // now and then: the windows, not the producer's pace, bound what it makes
                }

                yield return i;
            }
        }
        finally
        {
            Interlocked.Increment(ref _ended);
        }
    }

    public async IAsyncEnumerable<int> NeverAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _started);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            yield break;
        }
        finally
        {
            Interlocked.Increment(ref _ended);
        }
    }

    public Task<ProbeCounters> CountersAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(new ProbeCounters(
            Interlocked.Read(ref _produced),
            Volatile.Read(ref _started),
            Volatile.Read(ref _ended),
            ContractSession.For(peer()).Producers.OpenCount));

    public Task<int> ReportAfterEndAsync(IProgress<int> progress, CancellationToken cancellationToken = default)
    {
        progress.Report(1);
        _endedCallProgress = progress; // reported to by LateReportAsync: a later call, so surely after this one's answer went out
        return Task.FromResult(1);
    }

    public Task LateReportAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Exchange(ref _endedCallProgress, null)?.Report(2);
        return Task.CompletedTask;
    }

    public Task<string> AskBackAsync(string name, CancellationToken cancellationToken = default) =>
        peer().GetProxy<IGreeter>().HelloAsync(name, cancellationToken);

    public Task<int> ProcessIdAsync(CancellationToken cancellationToken = default) => Task.FromResult(Environment.ProcessId);
}
