using Samples;

namespace PluginIpc.TestContracts;

/// <summary>A contract whose members misbehave on purpose, or report on the contract machinery, for the tests.</summary>
[PluginContract("probe")]
public interface IProbe
{
    /// <summary>Throws a <see cref="RemoteException"/> with <paramref name="code"/>.</summary>
    Task<int> FailAsync(string code, CancellationToken cancellationToken = default);

    /// <summary>Throws an <see cref="InvalidOperationException"/>.</summary>
    Task<int> CrashAsync(CancellationToken cancellationToken = default);

    /// <summary>Waits until cancelled; says on <paramref name="started"/> when it waits.</summary>
    Task<int> WaitForCancelAsync(IProgress<string> started, CancellationToken cancellationToken = default);

    /// <summary>Throws <see cref="OperationCanceledException"/> on its own, not asked to.</summary>
    Task<int> GiveUpAsync(CancellationToken cancellationToken = default);

    /// <summary>Yields <paramref name="count"/> items, then throws a <see cref="RemoteException"/> with code <c>MID_STREAM</c>.</summary>
    IAsyncEnumerable<int> ThenFailAsync(int count, CancellationToken cancellationToken = default);

    /// <summary>Yields 0, 1, 2... until cancelled, counting what it produced and whether it was disposed.</summary>
    IAsyncEnumerable<int> ForeverAsync(CancellationToken cancellationToken = default);

    /// <summary>Yields nothing: waits until cancelled, counted in <see cref="CountersAsync"/> like <see cref="ForeverAsync"/>.</summary>
    IAsyncEnumerable<int> NeverAsync(CancellationToken cancellationToken = default);

    /// <summary>Gets how many items <see cref="ForeverAsync"/> produced, and how many of its enumerations ended.</summary>
    Task<ProbeCounters> CountersAsync(CancellationToken cancellationToken = default);

    /// <summary>Reports 1 and returns 1; <see cref="LateReportAsync"/> reports 2 to the same progress object later (a report the caller must drop).</summary>
    Task<int> ReportAfterEndAsync(IProgress<int> progress, CancellationToken cancellationToken = default);

    /// <summary>Reports 2 to the progress object of the last <see cref="ReportAfterEndAsync"/>, whose call has ended.</summary>
    Task LateReportAsync(CancellationToken cancellationToken = default);

    /// <summary>Calls the other side's <see cref="IGreeter.HelloAsync"/> through a proxy, and answers what it said.</summary>
    Task<string> AskBackAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Answers the process id of the side that runs it.</summary>
    Task<int> ProcessIdAsync(CancellationToken cancellationToken = default);
}
