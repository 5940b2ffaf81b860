namespace PluginIpc.TestContracts;

/// <summary>The contract of the issue, exactly: every kind of member a contract may have.</summary>
[PluginContract]
public interface IGreeter
{
    Task<string> HelloAsync(string name, CancellationToken cancellationToken = default);

    Task<Point> MoveAsync(Point point, int dx, int dy, CancellationToken cancellationToken = default);

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1716", Justification = "The contract of the issue names them from and to.")]
    IAsyncEnumerable<int> CountAsync(int from, int to, CancellationToken cancellationToken = default);

    Task<int> SumWithProgressAsync(int[] values, IProgress<int> progress, CancellationToken cancellationToken = default);

    ValueTask ResetAsync(CancellationToken cancellationToken = default);
}
