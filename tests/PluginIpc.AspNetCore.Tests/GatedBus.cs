namespace PluginIpc.AspNetCore.Tests;

/// <summary>A bus for the gateway whose subscriptions wait for <see cref="Open"/> (a slow bus), or fail with <see cref="Failure"/>.</summary>
internal sealed class GatedBus : IPluginBus
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Gets or sets what SubscribeAsync throws (after the gate), as a broken bus would.</summary>
    public Exception? Failure { get; set; }

    public IPluginSerializer Serializer => throw new NotSupportedException();

    /// <summary>Lets every waiting and later subscription complete.</summary>
    public void Open() => _gate.TrySetResult();

    public async ValueTask<IAsyncDisposable> SubscribeAsync(string topic, BusHandler handler, CancellationToken cancellationToken = default)
    {
        await _gate.Task.WaitAsync(cancellationToken);
        return Failure is { } failure ? throw failure : new Subscription();
    }

    public ValueTask PublishAsync(string topic, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public ValueTask<IAsyncDisposable> SubscribePatternAsync(string pattern, BusHandler handler, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<BusMessage> RequestAsync(string topic, ReadOnlyMemory<byte> payload, TimeSpan timeout, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<IReadOnlyList<BusMessage>> RequestAllAsync(string topic, ReadOnlyMemory<byte> payload, TimeSpan timeout, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    private sealed class Subscription : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
