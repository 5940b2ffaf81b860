using System.IO.Pipelines;

namespace PluginIpc.Tests.PluginSide;

/// <summary>The plugin side holds back a host that floods it, as the host holds back a plugin: its memory stays bounded.</summary>
[TestFixtureSource(typeof(Framers), nameof(Framers.Names))]
public sealed class MainBackpressureTests(string framer)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [Test, CancelAfter(30_000)]
    public async Task HostFloodsOneWayMessages_MainStopsReadingAtItsLimit_AndHandlesEveryMessage(CancellationToken cancellationToken)
    {
        const int Sent = 20_000;
        var toPlugin = new Pipe();
        var toHost = new Pipe();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int handled = 0;
        var allHandled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new MainOptions { Name = "flooded", MaxQueuedMessages = 16, HostPingInterval = Timeout.InfiniteTimeSpan };
        options.Handle("note", async (_, _, _) =>
        {
            await gate.Task;
            if (Interlocked.Increment(ref handled) == Sent)
            {
                allHandled.TrySetResult();
            }

            return ReadOnlyMemory<byte>.Empty;
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<int> running = Main.RunAsync(options, toPlugin.Reader.AsStream(), toHost.Writer.AsStream(), Framers.Create(framer), stop.Token);
        try
        {
            IChunkFramer hostFramer = Framers.Create(framer);
            int sentBeforeBlocked = -1;
            Task sending = Task.Run(
                async () =>
                {
                    for (int i = 0; i < Sent; i++)
                    {
                        hostFramer.Write(new Chunk { Direction = Direction.OneWay, Cmd = "note", Buffer = new byte[16] }, toPlugin.Writer);
                        ValueTask<FlushResult> flush = toPlugin.Writer.FlushAsync(cancellationToken);
                        if (!flush.IsCompleted && sentBeforeBlocked < 0)
                        {
                            Volatile.Write(ref sentBeforeBlocked, i);
                        }

                        await flush;
                    }
                },
                cancellationToken);

            Task done = await Task.WhenAny(sending, Task.Delay(TimeSpan.FromSeconds(1), cancellationToken));
            Assert.That(done, Is.Not.SameAs(sending), $"the host sent all {Sent} messages while the plugin's handler was held: nothing held it back");
            Assert.That(Volatile.Read(ref sentBeforeBlocked), Is.GreaterThan(0).And.LessThan(Sent));

            gate.SetResult();
            await sending.WaitAsync(s_timeout, cancellationToken);
            await allHandled.Task.WaitAsync(s_timeout, cancellationToken);
        }
        finally
        {
            await stop.CancelAsync();
            await toPlugin.Writer.CompleteAsync();
            await ((Task)running).WaitAsync(s_timeout, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}
