using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using PluginIpc.Tests.Channel;

namespace PluginIpc.Tests.Diagnostics;

/// <summary>
/// The call durations of two channels over in-memory pipes, recorded with the meter of a dependency-injection
/// <see cref="IMeterFactory"/> or with the library's static one: names and tags after the RPC semantic conventions, and
/// tag values that stay bounded whatever the callers and the peer send.
/// </summary>
public sealed class ChannelMetricsTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Test, CancelAfter(20_000)]
    public async Task Calls_WithAMeterFactory_ItsMeterRecordsClientAndServerDurations(CancellationToken cancellationToken)
    {
        await using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        IMeterFactory factory = services.GetRequiredService<IMeterFactory>();
        using var client = new MetricCollector<double>(factory, PluginIpcDiagnostics.MeterName, "rpc.client.call.duration");
        using var server = new MetricCollector<double>(factory, PluginIpcDiagnostics.MeterName, "rpc.server.call.duration");
        using var staticClient = new MetricCollector<double>(null, PluginIpcDiagnostics.MeterName, "rpc.client.call.duration");
        await using ChannelPair pair = ChannelPair.Create("msgpack", Transports.Memory, o => o.MeterFactory = factory, o => o.MeterFactory = factory);
        pair.Plugin.Handle("echo", static (chunk, _, _) => ValueTask.FromResult(chunk.Buffer));
        pair.Plugin.Handle("refuse", static (_, _, _) => throw new RemoteException("NOT_FOUND", "no such thing"));
        pair.Plugin.Handle("fail", static (_, _, _) => throw new InvalidOperationException("broken"));
        pair.Start();

        Assert.That(await pair.Host.CallAsync("echo", "hi", cancellationToken), Is.EqualTo("hi"));
        await Failure.CatchAsync<RemoteException>(() => pair.Host.CallAsync("refuse", "", cancellationToken));
        await Failure.CatchAsync<RemoteException>(() => pair.Host.CallAsync("fail", "", cancellationToken));
        await Failure.CatchAsync<RemoteException>(() => pair.Host.CallAsync("missing", "", cancellationToken));
        await client.WaitForMeasurementsAsync(4, s_timeout);
        await server.WaitForMeasurementsAsync(4, s_timeout); // recorded once each answer is out, maybe after the caller has it

        Assert.That(client.Instrument!.Unit, Is.EqualTo("s"));
        Assert.That(client.Instrument.Meter.Scope, Is.SameAs(factory));
        Assert.That(Tags(client, "host"), Is.EquivalentTo(new[]
        {
            "rpc.system=pluginipc rpc.method=echo rpc.service=host",
            "rpc.system=pluginipc rpc.method=refuse rpc.service=host error.type=NOT_FOUND",
            "rpc.system=pluginipc rpc.method=fail rpc.service=host error.type=HANDLER_ERROR",
            "rpc.system=pluginipc rpc.method=missing rpc.service=host error.type=UNKNOWN_COMMAND",
        }));
        Assert.That(Tags(server, "plugin"), Is.EquivalentTo(new[]
        {
            "rpc.system=pluginipc rpc.method=echo rpc.service=plugin",
            "rpc.system=pluginipc rpc.method=refuse rpc.service=plugin error.type=NOT_FOUND",
            "rpc.system=pluginipc rpc.method=fail rpc.service=plugin error.type=HANDLER_ERROR",
            "rpc.system=pluginipc rpc.method=_OTHER rpc.service=plugin error.type=UNKNOWN_COMMAND",
        }));
        Assert.That(client.GetMeasurementSnapshot().Select(m => m.Value), Has.All.GreaterThan(0).And.All.LessThan(s_timeout.TotalSeconds), "seconds");
        Assert.That(Tags(staticClient, "host"), Is.Empty, "a channel given a factory records nothing with the static meter");
    }

    [Test, CancelAfter(20_000)]
    public async Task Calls_WithoutAMeterFactory_TheStaticMeterRecords(CancellationToken cancellationToken)
    {
        string name = $"static-{Guid.NewGuid():N}"; // the static meter is the whole process's: only this test's channels count
        await using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var fromFactory = new MetricCollector<double>(services.GetRequiredService<IMeterFactory>(), PluginIpcDiagnostics.MeterName, "rpc.client.call.duration");
        using var client = new MetricCollector<double>(null, PluginIpcDiagnostics.MeterName, "rpc.client.call.duration");
        using var server = new MetricCollector<double>(null, PluginIpcDiagnostics.MeterName, "rpc.server.call.duration");
        using var io = new MetricCollector<long>(null, PluginIpcDiagnostics.MeterName, "pluginipc.channel.io");
        await using ChannelPair pair = ChannelPair.Create("text", Transports.Memory, o => o.Name = name, o => o.Name = name + "-plugin");
        pair.Plugin.Handle("echo", static (chunk, _, _) => ValueTask.FromResult(chunk.Buffer));
        pair.Start();

        Assert.That(await pair.Host.CallAsync("echo", "hi", cancellationToken), Is.EqualTo("hi"));
        await WaitForAsync(server, name + "-plugin", 1, cancellationToken);
        await WaitForAsync(io, name, 2, cancellationToken); // bytes read are counted once the read's chunks are dispatched, maybe after the caller has its answer

        Assert.That(client.Instrument!.Meter.Scope, Is.Null);
        Assert.That(Tags(client, name), Is.EqualTo(new[] { $"rpc.system=pluginipc rpc.method=echo rpc.service={name}" }));
        Assert.That(Tags(server, name + "-plugin"), Is.EqualTo(new[] { $"rpc.system=pluginipc rpc.method=echo rpc.service={name}-plugin" }));
        Assert.That(Tags(fromFactory, name), Is.Empty, "a factory's meter hears only channels given that factory");

        CollectedMeasurement<long>[] bytes = [.. io.GetMeasurementSnapshot().Where(m => m.Tags["rpc.service"] as string == name)];
        long sent = bytes.Where(m => m.Tags["network.io.direction"] as string == "transmit").Sum(m => m.Value);
        long received = bytes.Where(m => m.Tags["network.io.direction"] as string == "receive").Sum(m => m.Value);
        Assert.That(sent, Is.GreaterThan("echo".Length + "hi".Length), "the request's wire bytes");
        Assert.That(received, Is.GreaterThan("echo".Length + "hi".Length), "the answer's wire bytes");
    }

    [TestCase(false)]
    [TestCase(true)]
    [CancelAfter(60_000)]
    public async Task Peer_Sends5000DistinctCommands_ServerMethodsStayBounded(bool fallback, CancellationToken cancellationToken)
    {
        const int Commands = 5000;
        await using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        IMeterFactory factory = services.GetRequiredService<IMeterFactory>();
        using var server = new MetricCollector<double>(factory, PluginIpcDiagnostics.MeterName, "rpc.server.call.duration");
        await using ChannelPair pair = ChannelPair.Create("msgpack", Transports.Memory, configurePlugin: o => o.MeterFactory = factory);
        pair.Plugin.Handle("echo", static (chunk, _, _) => ValueTask.FromResult(chunk.Buffer));
        if (fallback)
        {
            pair.Plugin.HandleFallback(static (chunk, _, _) => ValueTask.FromResult(chunk.Buffer));
        }

        pair.Start();

        Assert.That(await pair.Host.CallAsync("echo", "", cancellationToken), Is.Empty);
        for (int i = 0; i < Commands; i++)
        {
            Task<string> call = pair.Host.CallAsync($"hostile.{i}", "", cancellationToken);
            if (fallback)
            {
                await call;
            }
            else
            {
                await Failure.CatchAsync<RemoteException>(() => call);
            }
        }

        await server.WaitForMeasurementsAsync(Commands + 1, s_timeout);

        string[] methods = [.. server.GetMeasurementSnapshot().Select(m => (string)m.Tags["rpc.method"]!).Distinct()];
        Assert.That(methods, Has.Length.LessThanOrEqualTo(2), "distinct rpc.method values");
        Assert.That(methods, Is.EquivalentTo(new[] { "echo", "_OTHER" }), "only a command with a handler of its own is a method");
    }

    [Test, CancelAfter(60_000)]
    public async Task Caller_Uses5000DistinctCommands_ClientMethodsStayBounded(CancellationToken cancellationToken)
    {
        const int Commands = 5000;
        await using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        IMeterFactory factory = services.GetRequiredService<IMeterFactory>();
        using var client = new MetricCollector<double>(factory, PluginIpcDiagnostics.MeterName, "rpc.client.call.duration");
        await using ChannelPair pair = ChannelPair.Create("msgpack", Transports.Memory, o => o.MeterFactory = factory);
        pair.Plugin.HandleFallback(static (chunk, _, _) => ValueTask.FromResult(chunk.Buffer));
        pair.Start();

        for (int i = 0; i < Commands; i++)
        {
            await pair.Host.CallAsync($"generated.{i}", "", cancellationToken);
        }

        await client.WaitForMeasurementsAsync(Commands, s_timeout);

        string[] methods = [.. client.GetMeasurementSnapshot().Select(m => (string)m.Tags["rpc.method"]!).Distinct()];
        Assert.That(methods, Has.Length.LessThanOrEqualTo(PluginIpcMetrics.MaxClientMethods + 1));
        Assert.That(methods, Does.Contain("_OTHER").And.Contain("generated.0"));
    }

    [Test, CancelAfter(20_000)]
    public async Task Peer_AnswersWithManyErrorCodes_ErrorTypesStayBounded(CancellationToken cancellationToken)
    {
        const int Codes = 500;
        await using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        IMeterFactory factory = services.GetRequiredService<IMeterFactory>();
        using var client = new MetricCollector<double>(factory, PluginIpcDiagnostics.MeterName, "rpc.client.call.duration");
        await using ChannelPair pair = ChannelPair.Create("msgpack", Transports.Memory, o => o.MeterFactory = factory);
        pair.Plugin.Handle("refuse", static (chunk, _, _) => throw new RemoteException($"CODE_{chunk.Buffer.Length}", "refused"));
        pair.Start();

        for (int i = 0; i < Codes; i++)
        {
            await Failure.CatchAsync<RemoteException>(() => pair.Host.CallAsync("refuse", new string('x', i), cancellationToken));
        }

        await client.WaitForMeasurementsAsync(Codes, s_timeout);

        string[] errorTypes = [.. client.GetMeasurementSnapshot().Select(m => (string)m.Tags["error.type"]!).Distinct()];
        Assert.That(errorTypes, Has.Length.EqualTo(PluginIpcMetrics.MaxErrorCodes + 1));
        Assert.That(errorTypes, Does.Contain("_OTHER").And.Contain("CODE_0"));
    }

    [Test]
    public void StartCallAndStop_NothingListens_AllocateNothing()
    {
        using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var telemetry = new ChannelTelemetry("quiet", PluginIpcMetrics.For(services.GetRequiredService<IMeterFactory>()));
        var registry = new HandlerRegistry();
        registry.Handle("echo", static (chunk, _, _) => ValueTask.FromResult(chunk.Buffer));
        var request = new Chunk { ThreadId = 1, Direction = Direction.Request, Cmd = "echo" };
        IReadOnlyDictionary<string, string>? headers = null;
        Assume.That(System.Diagnostics.Activity.Current, Is.Null);
        RunOnce(telemetry, registry, request, ref headers); // first calls may allocate (JIT, statics)

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            RunOnce(telemetry, registry, request, ref headers);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
        Assert.That(headers, Is.Null, "no trace context to add");

        static void RunOnce(ChannelTelemetry telemetry, HandlerRegistry registry, Chunk request, ref IReadOnlyDictionary<string, string>? headers)
        {
            ChannelTelemetry.CallScope call = telemetry.StartCall("echo", ref headers);
            call.Stop();
            ChannelTelemetry.CallScope handler = telemetry.StartHandler(request, registry);
            handler.Stop();
            telemetry.RecordSent(64);
            telemetry.RecordReceived(64);
        }
    }

    /// <summary>Each measurement's tags for <paramref name="channel"/>, as <c>key=value</c> pairs in the order recorded.</summary>
    internal static string[] Tags<T>(MetricCollector<T> collector, string channel)
        where T : struct =>
        [.. collector.GetMeasurementSnapshot()
            .Where(m => m.Tags.TryGetValue("rpc.service", out object? value) && value as string == channel)
            .Select(m => string.Join(' ', m.Tags.Select(t => $"{t.Key}={t.Value}")))];

    private static async Task WaitForAsync<T>(MetricCollector<T> collector, string channel, int count, CancellationToken cancellationToken)
        where T : struct
    {
        // The static meter may hear other channels too: wait for this one's.
        while (Tags(collector, channel).Length < count)
        {
            await collector.WaitForMeasurementsAsync(collector.GetMeasurementSnapshot().Count + 1, cancellationToken).WaitAsync(s_timeout, cancellationToken);
        }
    }
}
