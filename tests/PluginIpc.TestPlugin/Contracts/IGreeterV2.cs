using Samples;

namespace PluginIpc.TestContracts;

/// <summary>Another version of <see cref="IGreeter"/>, under the same contract name: Move lost an argument and Reset is gone.</summary>
[PluginContract("IGreeter")]
public interface IGreeterV2
{
    Task<string> HelloAsync(string name, CancellationToken cancellationToken = default);

    Task<Point> MoveAsync(Point point, int distance, CancellationToken cancellationToken = default);

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1716", Justification = "The contract of the issue names them from and to.")]
    IAsyncEnumerable<int> CountAsync(int from, int to, CancellationToken cancellationToken = default);

    Task<int> SumWithProgressAsync(int[] values, IProgress<int> progress, CancellationToken cancellationToken = default);
}
