namespace PluginIpc.Tests.Generators;

/// <summary>A contract compiled by the real generator (the analyzer reference that Directory.Build.targets adds): one method of each kind.</summary>
[PluginContract]
public interface ITestGreeter
{
    Task<string> HelloAsync(string name, CancellationToken cancellationToken = default);

    Task<GreeterPoint> MoveAsync(GreeterPoint point, int dx, int dy, CancellationToken cancellationToken = default);

    IAsyncEnumerable<int> CountAsync(int first, int last, CancellationToken cancellationToken = default);

    Task<int> SumWithProgressAsync(int[] values, IProgress<int>? progress, CancellationToken cancellationToken = default);

    ValueTask ResetAsync(CancellationToken cancellationToken = default);

    ValueTask<string?> EchoAsync(string? text);

    Task FailAsync(string message);
}
