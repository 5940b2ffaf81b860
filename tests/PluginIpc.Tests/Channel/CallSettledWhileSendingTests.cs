using System.Text;

namespace PluginIpc.Tests.Channel;

/// <summary>
/// Calls settled while their request is still being written: the answer, or a cancel, comes before the write returns. The
/// sender then finishes the call itself, so the caller's task is complete when <c>CallAsync</c> returns.
/// </summary>
[TestFixtureSource(typeof(Framers), nameof(Framers.Names))]
public sealed class CallSettledWhileSendingTests(string framer)
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);

    /// <summary>A host and a plugin over inline pipes: each side reads what the other writes on the writer's own thread.</summary>
    private (PluginIpc.Channel Host, PluginIpc.Channel Plugin) CreateInlinePair()
    {
        var (host, plugin) = TestPipes.CreateInlinePair();
        return (
            new PluginIpc.Channel(host, Framers.Create(framer), new ChannelOptions { Name = "host" }),
            new PluginIpc.Channel(plugin, Framers.Create(framer), new ChannelOptions { Name = "plugin" }));
    }

    [Test, CancelAfter(20_000)]
    public async Task CallAsync_AnsweredBeforeTheWriteReturns_IsCompleteWhenCallAsyncReturns(CancellationToken cancellationToken)
    {
        var (host, plugin) = CreateInlinePair();
        await using (host)
        await using (plugin)
        {
            plugin.Handle("echo", static (chunk, _, _) => ValueTask.FromResult(chunk.Buffer));
            host.Start();
            plugin.Start();

            // Every answer type has its own pool of calls: each is recycled and reused, in turn, many times.
            for (int i = 0; i < 200; i++)
            {
                Task<ReadOnlyMemory<byte>> bytes = host.CallAsync("echo", Encoding.UTF8.GetBytes($"bytes {i}"), cancellationToken);
                Task<string> text = host.CallAsync("echo", $"text {i}", cancellationToken);
                Task<Chunk> chunk = host.CallAsync(new Chunk { Cmd = "echo", Buffer = Encoding.UTF8.GetBytes($"chunk {i}") }, cancellationToken);

                Assert.That(bytes.IsCompletedSuccessfully && text.IsCompletedSuccessfully && chunk.IsCompletedSuccessfully, Is.True, $"round {i}: answered within the write");
                Assert.That(Encoding.UTF8.GetString((await bytes).Span), Is.EqualTo($"bytes {i}"));
                Assert.That(await text, Is.EqualTo($"text {i}"));
                Assert.That(Encoding.UTF8.GetString((await chunk).Buffer.Span), Is.EqualTo($"chunk {i}"));
            }

            Assert.That(host.PendingCallCount, Is.Zero);
        }
    }

    [Test, CancelAfter(20_000)]
    public async Task CallAsync_CancelledBeforeTheWriteReturns_IsCancelledWhenCallAsyncReturnsAndTheChannelGoesOn(CancellationToken cancellationToken)
    {
        var (host, plugin) = CreateInlinePair();
        await using (host)
        await using (plugin)
        {
            CancellationTokenSource? callerSource = null;
            plugin.Handle("cancel-my-caller", (chunk, _, _) =>
            {
                callerSource!.Cancel(); // runs within the host's write of the request
                return ValueTask.FromResult(chunk.Buffer);
            });
            plugin.Handle("echo", static (chunk, _, _) => ValueTask.FromResult(chunk.Buffer));
            host.Start();
            plugin.Start();

            for (int i = 0; i < 50; i++)
            {
                using var source = new CancellationTokenSource();
                callerSource = source;
                Task<string> cancelled = host.CallAsync("cancel-my-caller", $"call {i}", source.Token);

                Assert.That(cancelled.IsCanceled, Is.True, $"round {i}: cancelled within the write, and not answered");
                Assert.That(async () => await cancelled, Throws.InstanceOf<OperationCanceledException>());

                // The call was recycled: the next one, which may reuse it, gets its own answer.
                Assert.That(await host.CallAsync("echo", $"after {i}", cancellationToken).WaitAsync(s_wait, cancellationToken), Is.EqualTo($"after {i}"));
            }

            Assert.That(host.PendingCallCount, Is.Zero);
        }
    }

    [Test, CancelAfter(60_000)]
    public async Task CallAsync_CancelledAtRandomMomentsWhileOthersRun_EachCallGetsItsOwnAnswerOrIsCancelled(CancellationToken cancellationToken)
    {
        // Over real OS pipes, with the pool's threads racing: a call recycled too early would hand one caller another's answer.
        const int Callers = 8;
        const int CallsEach = 500;
        await using ChannelPair pair = ChannelPair.Create(framer, Transports.OsPipes);
        pair.Plugin.Handle("echo", static async (chunk, _, ct) =>
        {
            if (chunk.Buffer.Span[^1] == (byte)'0')
            {
                await Task.Yield(); // some answers come later, from the pool
            }

            return chunk.Buffer;
        });
        pair.Start();

        int answered = 0;
        int cancelled = 0;
        Task[] callers = Enumerable.Range(0, Callers).Select(c => Task.Run(
            async () =>
            {
                for (int i = 0; i < CallsEach; i++)
                {
                    string payload = $"caller {c} call {i}";
                    using var source = new CancellationTokenSource();
                    Task<string> call = pair.Host.CallAsync("echo", payload, source.Token);
                    if (i % 3 == 0)
                    {
                        source.Cancel();
                    }

                    try
                    {
                        Assert.That(await call.WaitAsync(s_wait, cancellationToken), Is.EqualTo(payload));
                        Interlocked.Increment(ref answered);
                    }
                    catch (OperationCanceledException) when (source.IsCancellationRequested)
                    {
                        Interlocked.Increment(ref cancelled);
                    }
                }
            },
            cancellationToken)).ToArray();
        await Task.WhenAll(callers);

        Assert.That(answered + cancelled, Is.EqualTo(Callers * CallsEach));
        int neverCancelled = Callers * (CallsEach - ((CallsEach + 2) / 3));
        Assert.That(answered, Is.GreaterThanOrEqualTo(neverCancelled), "only the calls cancelled may go unanswered");
        Assert.That(pair.Host.PendingCallCount, Is.Zero);
        Assert.That(await pair.Host.CallAsync("echo", "still fine", cancellationToken), Is.EqualTo("still fine"));
    }
}
