using System.Runtime.CompilerServices;

namespace PluginIpc.TestContracts;

/// <summary>The implementation of <see cref="IGreeter"/> that the tests call, in memory and in the plugin process.</summary>
public sealed class Greeter(string greeterName = "greeter") : IGreeter
{
    private int _resets;

    /// <summary>Gets how many times <see cref="ResetAsync"/> ran.</summary>
    public int Resets => Volatile.Read(ref _resets);

    public Task<string> HelloAsync(string name, CancellationToken cancellationToken = default) => Task.FromResult($"Hello, {name}, from {greeterName}");

    public Task<Point> MoveAsync(Point point, int dx, int dy, CancellationToken cancellationToken = default) =>
        Task.FromResult(new Point(point.X + dx, point.Y + dy));

    public async IAsyncEnumerable<int> CountAsync(int from, int to, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (int i = from; i <= to; i++)
        {
            if (i % 100 == 0)
            {
                await Task.Yield(); // some items wait, as real producers' do
            }

            cancellationToken.ThrowIfCancellationRequested();
            yield return i;
        }
    }

    public Task<int> SumWithProgressAsync(int[] values, IProgress<int> progress, CancellationToken cancellationToken = default)
    {
        int sum = 0;
        foreach (int value in values)
        {
            sum += value;
            progress.Report(sum);
        }

        return Task.FromResult(sum);
    }

    public ValueTask ResetAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _resets);
        return ValueTask.CompletedTask;
    }
}
