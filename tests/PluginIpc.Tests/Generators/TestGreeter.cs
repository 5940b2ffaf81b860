using System.Runtime.CompilerServices;

namespace PluginIpc.Tests.Generators;

/// <summary>The implementation that <see cref="ContractEndToEndTests"/> serves.</summary>
public sealed class TestGreeter : ITestGreeter
{
    private readonly TaskCompletionSource _reset = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _countEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Gets a task that completes when <see cref="ResetAsync"/> ran.</summary>
    public Task Reset => _reset.Task;

    /// <summary>Gets a task that completes when a <see cref="CountAsync"/> stream ended, by its last item or by its consumer.</summary>
    public Task CountEnded => _countEnded.Task;

    public Task<string> HelloAsync(string name, CancellationToken cancellationToken = default) => Task.FromResult($"Hello, {name}!");

    public Task<GreeterPoint> MoveAsync(GreeterPoint point, int dx, int dy, CancellationToken cancellationToken = default) =>
        Task.FromResult(new GreeterPoint(point.X + dx, point.Y + dy));

    public async IAsyncEnumerable<int> CountAsync(int first, int last, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        try
        {
            for (int i = first; i <= last; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (i % 50 == 0)
                {
                    await Task.Yield();
                }

                yield return i;
            }
        }
        finally
        {
            _countEnded.TrySetResult();
        }
    }

    public async Task<int> SumWithProgressAsync(int[] values, IProgress<int>? progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(progress, "the server always hands the implementation a progress object");
        int sum = 0;
        foreach (int value in values)
        {
            await Task.Yield();
            sum += value;
            progress.Report(sum);
        }

        return sum;
    }

    public ValueTask ResetAsync(CancellationToken cancellationToken = default)
    {
        _reset.TrySetResult();
        return ValueTask.CompletedTask;
    }

    public ValueTask<string?> EchoAsync(string? text) => ValueTask.FromResult(text);

    public Task FailAsync(string message) => throw new InvalidOperationException(message);
}
