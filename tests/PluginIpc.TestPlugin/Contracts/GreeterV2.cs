using Samples;

namespace PluginIpc.TestContracts;

/// <summary>The plugin side of a version skew: <see cref="IGreeterV2"/> on top of <see cref="Greeter"/>.</summary>
public sealed class GreeterV2 : IGreeterV2
{
    private readonly Greeter _greeter = new("v2");

    public Task<string> HelloAsync(string name, CancellationToken cancellationToken = default) => _greeter.HelloAsync(name, cancellationToken);

    public Task<Point> MoveAsync(Point point, int distance, CancellationToken cancellationToken = default) => _greeter.MoveAsync(point, distance, distance, cancellationToken);

    public IAsyncEnumerable<int> CountAsync(int from, int to, CancellationToken cancellationToken = default) => _greeter.CountAsync(from, to, cancellationToken);

    public Task<int> SumWithProgressAsync(int[] values, IProgress<int> progress, CancellationToken cancellationToken = default) =>
        _greeter.SumWithProgressAsync(values, progress, cancellationToken);
}
