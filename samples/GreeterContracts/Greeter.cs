using System.Runtime.CompilerServices;

namespace Samples;

/// <summary>The samples' implementation of <see cref="IGreeter"/>, which their plugins serve.</summary>
/// <param name="greeterName">Who greets, in <see cref="HelloAsync"/>'s answer.</param>
public sealed class Greeter(string greeterName) : IGreeter
{
    private int _hellos;

    /// <inheritdoc/>
    public Task<string> HelloAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult($"Hello, {name}! ({greeterName}, greeting #{Interlocked.Increment(ref _hellos)})");

    /// <inheritdoc/>
    public Task<Point> MoveAsync(Point point, int dx, int dy, CancellationToken cancellationToken = default) =>
        Task.FromResult(point with { X = point.X + dx, Y = point.Y + dy });

    /// <inheritdoc/>
    public async IAsyncEnumerable<int> CountAsync(int from, int to, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (int i = from; i <= to; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return i;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc/>
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

    /// <inheritdoc/>
    public ValueTask ResetAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Exchange(ref _hellos, 0);
        return ValueTask.CompletedTask;
    }
}
