using System.IO.Pipelines;

namespace PluginIpc.Tests.PluginSide;

/// <summary>The plugin side's pings to its host and its stop grace period count the time of <see cref="MainOptions.TimeProvider"/>.</summary>
[TestFixtureSource(typeof(Framers), nameof(Framers.Names))]
public sealed class MainFakeTimeTests(string framer)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_step = TimeSpan.FromMilliseconds(1);

    [Test, CancelAfter(20_000)]
    public async Task HostNeverAnswers_MainGivesUpOnlyWhenFakeTimePassesPingIntervalAndTimeout(CancellationToken cancellationToken)
    {
        TimeSpan interval = TimeSpan.FromSeconds(10);
        TimeSpan timeout = TimeSpan.FromSeconds(7);
        var clock = new FakeClock();
        var options = new MainOptions { Name = "pinger", HostPingInterval = interval, HostPingTimeout = timeout, TimeProvider = clock };
        var toPlugin = new Pipe();
        var toHost = new Pipe(); // the host reads nothing and answers nothing
        Task<int> running = Main.RunAsync(options, toPlugin.Reader.AsStream(), toHost.Writer.AsStream(), Framers.Create(framer), cancellationToken);
        try
        {
            await clock.WhenArmedAsync(interval, cancellationToken).WaitAsync(s_timeout, cancellationToken);
            clock.Advance(interval - s_step);
            Assert.That(clock.IsArmed(timeout), Is.False, "a ping went out before its interval");
            clock.Advance(s_step);

            await clock.WhenArmedAsync(timeout, cancellationToken).WaitAsync(s_timeout, cancellationToken);
            clock.Advance(timeout - s_step);
            Assert.That(clock.IsArmed(timeout), Is.True, "the ping timed out early");
            Assert.That(running.IsCompleted, Is.False);

            clock.Advance(s_step);
            Assert.That(await running.WaitAsync(s_timeout, cancellationToken), Is.Zero, "a plugin that lost its host exits 0");
        }
        finally
        {
            await toPlugin.Writer.CompleteAsync();
            await ((Task)running).WaitAsync(s_timeout, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    [Test, CancelAfter(20_000)]
    public async Task HostAnswersAPingWithAnError_MainGoesOnPinging(CancellationToken cancellationToken)
    {
        TimeSpan interval = TimeSpan.FromSeconds(10);
        var clock = new FakeClock();
        var options = new MainOptions { Name = "pinger", HostPingInterval = interval, HostPingTimeout = TimeSpan.FromSeconds(7), TimeProvider = clock };
        var toPlugin = new Pipe();
        var toHost = new Pipe();
        IChunkFramer hostFramer = Framers.Create(framer);
        Task<int> running = Main.RunAsync(options, toPlugin.Reader.AsStream(), toHost.Writer.AsStream(), Framers.Create(framer), cancellationToken);
        try
        {
            await clock.WhenArmedAsync(interval, cancellationToken).WaitAsync(s_timeout, cancellationToken);
            clock.Advance(interval);

            // A host of another implementation, closing, answers the ping with an error: an answer all the same.
            Chunk ping = await ReadChunkAsync(toHost.Reader, hostFramer, cancellationToken).WaitAsync(s_timeout, cancellationToken);
            Assert.That(ping.Cmd, Is.EqualTo(Commands.Ping));
            hostFramer.Write(new Chunk { ThreadId = ping.ThreadId, Direction = Direction.Response, Cmd = Commands.Error, Buffer = ErrorPayload.Encode(ErrorCodes.ShuttingDown, "closing", null) }, toPlugin.Writer);
            await toPlugin.Writer.FlushAsync(cancellationToken);

            await clock.WhenArmedAsync(interval, cancellationToken).WaitAsync(s_timeout, cancellationToken);
            Assert.That(running.IsCompleted, Is.False, "the plugin took an answered ping for a lost host");
        }
        finally
        {
            await toPlugin.Writer.CompleteAsync();
            await ((Task)running).WaitAsync(s_timeout, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private static async Task<Chunk> ReadChunkAsync(PipeReader reader, IChunkFramer chunkFramer, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await reader.ReadAsync(cancellationToken);
            System.Buffers.ReadOnlySequence<byte> buffer = result.Buffer;
            if (chunkFramer.TryRead(ref buffer, out Chunk? chunk))
            {
                reader.AdvanceTo(buffer.Start);
                return chunk!;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            Assert.That(result.IsCompleted, Is.False, "the plugin closed its output");
        }
    }

    [Test, CancelAfter(20_000)]
    public async Task StopHookOverruns_CancelledOnlyWhenFakeTimePassesTheStopGracePeriod(CancellationToken cancellationToken)
    {
        TimeSpan grace = TimeSpan.FromMinutes(1);
        var clock = new FakeClock();
        var hookEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hookCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new MainOptions
        {
            Name = "slow-stop",
            HostPingInterval = Timeout.InfiniteTimeSpan,
            StopGracePeriod = grace,
            TimeProvider = clock,
            OnStop = async (_, token) =>
            {
                hookEntered.SetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, token);
                }
                catch (OperationCanceledException)
                {
                    hookCancelled.SetResult(); // seen here, not by a registration: a registration disposed as the token fires may never run
                    throw;
                }
            },
        };
        var toPlugin = new Pipe();
        var toHost = new Pipe();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<int> running = Main.RunAsync(options, toPlugin.Reader.AsStream(), toHost.Writer.AsStream(), Framers.Create(framer), stop.Token);
        try
        {
            await stop.CancelAsync();
            await hookEntered.Task.WaitAsync(s_timeout, cancellationToken);
            await clock.WhenArmedAsync(grace, cancellationToken).WaitAsync(s_timeout, cancellationToken);
            clock.Advance(grace - s_step);
            Assert.That(hookCancelled.Task.IsCompleted, Is.False, "the stop hook was cancelled before its grace period");
            Assert.That(running.IsCompleted, Is.False);

            clock.Advance(s_step);
            await hookCancelled.Task.WaitAsync(s_timeout, cancellationToken);
            Assert.That(await running.WaitAsync(s_timeout, cancellationToken), Is.Zero);
        }
        finally
        {
            await toPlugin.Writer.CompleteAsync();
            await ((Task)running).WaitAsync(s_timeout, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}
