using System.Diagnostics;
using System.Text;

namespace PluginIpc.Tests.Channel;

/// <summary>
/// What stays in the execution context around calls and handlers: the current activity while someone listens to
/// PluginIpc's activities, and async locals. Calls are started, and inline handlers run, outside any async method of the
/// library, so the library must put the context back itself.
/// </summary>
[NonParallelizable] // an activity listener is process-wide
public sealed class ChannelExecutionContextTests
{
    private static readonly AsyncLocal<string?> s_local = new();
    private ActivityListener _listener = null!;

    [SetUp]
    public void Listen()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = static source => source.Name is PluginIpcDiagnostics.ActivitySourceName or "PluginIpc.Tests",
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    [TearDown]
    public void StopListening() => _listener.Dispose();

    [TestCase(Transports.Memory), TestCase(Transports.DedicatedPipes), CancelAfter(10_000)]
    public async Task CallAsync_Listened_LeavesTheCallersActivityCurrent(string transport, CancellationToken cancellationToken)
    {
        await using ChannelPair pair = ChannelPair.Create("msgpack", transport);
        pair.Plugin.Handle("parent", static (_, _, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(Encoding.UTF8.GetBytes(Activity.Current?.ParentId ?? "")));
        pair.Start();
        using var source = new ActivitySource("PluginIpc.Tests");
        using Activity root = source.StartActivity("caller's work")!;

        Task<string> call = pair.Host.CallAsync("parent", "", cancellationToken);
        Assert.That(Activity.Current, Is.SameAs(root), "the call's own activity is not left current on the caller's thread");

        string handlerParent = await call;
        Assert.That(ActivityContext.Parse(handlerParent, null).TraceId, Is.EqualTo(root.TraceId), "the trace still goes on in the handler");
    }

    [TestCase(Transports.Memory), TestCase(Transports.DedicatedPipes), CancelAfter(10_000)]
    public async Task InlineHandlers_Listened_EachRunsUnderItsOwnActivityAndLeavesNoneBehind(string transport, CancellationToken cancellationToken)
    {
        // Text carries no headers: each handler's activity starts a trace of its own, unless an earlier one was left current.
        await using ChannelPair pair = ChannelPair.Create("text", transport);
        pair.Plugin.Handle("whoami", static (chunk, _, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(Encoding.UTF8.GetBytes($"{Activity.Current?.DisplayName}|{Activity.Current?.ParentId}")));
        pair.Plugin.Handle("later", static async (_, _, _) =>
        {
            await Task.Yield();
            return Encoding.UTF8.GetBytes($"{Activity.Current?.DisplayName}|{Activity.Current?.ParentId}");
        });
        pair.Start();

        foreach (string cmd in new[] { "whoami", "later", "whoami", "later", "whoami" })
        {
            string answer = await pair.Host.CallAsync(cmd, "", cancellationToken);
            Assert.That(answer, Is.EqualTo($"{cmd}|"), $"'{cmd}' runs under its own activity, with no parent");
        }
    }

    [TestCase(Transports.Memory), TestCase(Transports.DedicatedPipes), CancelAfter(10_000)]
    public async Task InlineHandler_SetsAnAsyncLocal_TheNextHandlerDoesNotSeeIt(string transport, CancellationToken cancellationToken)
    {
        await using ChannelPair pair = ChannelPair.Create("text", transport);
        pair.Plugin.Handle("set", static (chunk, _, _) =>
        {
            s_local.Value = "left behind";
            return ValueTask.FromResult(chunk.Buffer);
        });
        pair.Plugin.Handle("get", static (_, _, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(Encoding.UTF8.GetBytes(s_local.Value ?? "nothing")));
        pair.Start();

        for (int i = 0; i < 3; i++)
        {
            await pair.Host.CallAsync("set", "", cancellationToken);
            Assert.That(await pair.Host.CallAsync("get", "", cancellationToken), Is.EqualTo("nothing"), $"round {i}");
        }
    }

    [Test, CancelAfter(10_000)]
    public async Task CallAsync_AnActivityListenerThrows_TheCallsTaskFailsAndTheChannelGoesOn(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = ChannelPair.Create("msgpack", Transports.Memory);
        pair.Plugin.Handle("echo", static (chunk, _, _) => ValueTask.FromResult(chunk.Buffer));
        pair.Start();
        var failure = new InvalidOperationException("listener failed");
        using (var throwing = new ActivityListener
        {
            ShouldListenTo = static source => source.Name == PluginIpcDiagnostics.ActivitySourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = activity =>
            {
                if (activity.Kind == ActivityKind.Client)
                {
                    throw failure;
                }
            },
        })
        {
            ActivitySource.AddActivityListener(throwing);

            Task<string> call = pair.Host.CallAsync("echo", "hi", cancellationToken); // does not throw here: the task carries it
            Assert.That(async () => await call, Throws.Exception.SameAs(failure));
            Assert.That(pair.Host.PendingCallCount, Is.Zero);
        }

        Assert.That(await pair.Host.CallAsync("echo", "again", cancellationToken), Is.EqualTo("again"));
    }
}
