using System.Collections.Concurrent;
using System.Diagnostics;
using PluginIpc.Tests.Channel;

namespace PluginIpc.Tests.Diagnostics;

/// <summary>The activities of calls and handlers, named and tagged after the RPC span conventions.</summary>
[NonParallelizable] // an activity listener is process-wide
public sealed class ChannelActivityTests
{
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private TaskCompletionSource _bothStopped = null!;
    private ActivityListener _listener = null!;

    [SetUp]
    public void Listen()
    {
        _stopped.Clear();
        _bothStopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _listener = new ActivityListener
        {
            ShouldListenTo = static source => source.Name == PluginIpcDiagnostics.ActivitySourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                _stopped.Enqueue(activity);
                if (_stopped.Count >= 2)
                {
                    _bothStopped.TrySetResult();
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    [TearDown]
    public void StopListening() => _listener.Dispose();

    [Test, CancelAfter(10_000)]
    public async Task Call_ToAHandledCommand_BothActivitiesAreNamedAfterTheMethod(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = ChannelPair.Create("msgpack", Transports.Memory);
        pair.Plugin.Handle("echo", static (chunk, _, _) => ValueTask.FromResult(chunk.Buffer));
        pair.Start();

        await pair.Host.CallAsync("echo", "hi", cancellationToken);
        (Activity client, Activity server) = await BothAsync(cancellationToken);

        Assert.That(client.OperationName, Is.EqualTo("PluginIpc.Call"));
        Assert.That(client.DisplayName, Is.EqualTo("echo"));
        Assert.That(Tags(client), Is.EqualTo("rpc.system=pluginipc rpc.method=echo rpc.service=host"));
        Assert.That(client.Status, Is.EqualTo(ActivityStatusCode.Unset));
        Assert.That(server.OperationName, Is.EqualTo("PluginIpc.Handle"));
        Assert.That(server.DisplayName, Is.EqualTo("echo"));
        Assert.That(Tags(server), Is.EqualTo("rpc.system=pluginipc rpc.method=echo rpc.service=plugin"));
        Assert.That(server.ParentSpanId, Is.EqualTo(client.SpanId), "msgpack carries the trace context");
    }

    [Test, CancelAfter(10_000)]
    public async Task Call_ToAnUnknownCommand_ServerActivityIsNamedAfterTheSystemAndKeepsTheCommand(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = ChannelPair.Create("msgpack", Transports.Memory);
        pair.Start();

        await Failure.CatchAsync<RemoteException>(() => pair.Host.CallAsync("no.such", "", cancellationToken));
        (Activity client, Activity server) = await BothAsync(cancellationToken);

        Assert.That(client.DisplayName, Is.EqualTo("no.such"), "the caller's code picks its commands: recognized");
        Assert.That(Tags(client), Is.EqualTo("rpc.system=pluginipc rpc.method=no.such rpc.service=host error.type=UNKNOWN_COMMAND"));
        Assert.That(client.Status, Is.EqualTo(ActivityStatusCode.Error));
        Assert.That(server.DisplayName, Is.EqualTo("pluginipc"));
        Assert.That(Tags(server), Is.EqualTo("rpc.system=pluginipc rpc.method=_OTHER rpc.method_original=no.such rpc.service=plugin error.type=UNKNOWN_COMMAND"));
        Assert.That(server.Status, Is.EqualTo(ActivityStatusCode.Error));
    }

    [Test, CancelAfter(10_000)]
    public async Task Call_HandlerThrows_BothActivitiesFailWithTheAnswersCode(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = ChannelPair.Create("text", Transports.Memory);
        pair.Plugin.Handle("fail", static (_, _, _) => throw new InvalidOperationException("broken"));
        pair.Start();

        await Failure.CatchAsync<RemoteException>(() => pair.Host.CallAsync("fail", "", cancellationToken));
        (Activity client, Activity server) = await BothAsync(cancellationToken);

        Assert.That(client.GetTagItem("error.type"), Is.EqualTo("HANDLER_ERROR"));
        Assert.That(server.GetTagItem("error.type"), Is.EqualTo("HANDLER_ERROR"));
        Assert.That(server.StatusDescription, Is.EqualTo("broken"));
    }

    private static string Tags(Activity activity) => string.Join(' ', activity.TagObjects.Select(t => $"{t.Key}={t.Value}"));

    /// <summary>Waits for the client and the server activity of the one call made; the server's ends once its answer is out, maybe after the caller has it.</summary>
    private async Task<(Activity Client, Activity Server)> BothAsync(CancellationToken cancellationToken)
    {
        await _bothStopped.Task.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
        Assert.That(_stopped, Has.Count.EqualTo(2));
        return (_stopped.Single(a => a.Kind == ActivityKind.Client), _stopped.Single(a => a.Kind == ActivityKind.Server));
    }
}
