using PluginIpc;

namespace Samples;

/// <summary>What a greeter plugin does: an interface both sides reference; PluginIpc generates the proxy and the dispatcher.</summary>
[PluginContract]
public interface IGreeter
{
    /// <summary>Greets <paramref name="name"/>.</summary>
    Task<string> HelloAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Moves <paramref name="point"/> by (<paramref name="dx"/>, <paramref name="dy"/>).</summary>
    Task<Point> MoveAsync(Point point, int dx, int dy, CancellationToken cancellationToken = default);

    /// <summary>Streams the numbers from <paramref name="from"/> to <paramref name="to"/>.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1716", Justification = "The contract of the issue names them from and to.")]
    IAsyncEnumerable<int> CountAsync(int from, int to, CancellationToken cancellationToken = default);

    /// <summary>Adds <paramref name="values"/>, reporting each partial sum.</summary>
    Task<int> SumWithProgressAsync(int[] values, IProgress<int> progress, CancellationToken cancellationToken = default);

    /// <summary>Forgets what the greeter counted.</summary>
    ValueTask ResetAsync(CancellationToken cancellationToken = default);
}
