using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace PluginIpc.Tests.DependencyInjection;

[Category("Process")]
[NonParallelizable]
public sealed class TracePropagationTests
{
    [TestCase("msgpack", true)]
    [TestCase("msgpack", false)]
    [CancelAfter(60_000)]
    public async Task CallAsync_InsideHostActivity_TraceContinuesInThePlugin(string framer, bool pluginListens, CancellationToken cancellationToken)
    {
        var clientActivities = new ConcurrentQueue<Activity>();
        using ActivityListener listener = Listen(clientActivities);
        await using ServiceProvider provider = Build(framer, pluginListens);
        Plugin plugin = await provider.GetRequiredService<IPluginManager>().GetAsync("trace", cancellationToken);
        using var source = new ActivitySource("PluginIpc.Tests");
        using var listenToTests = new ActivityListener { ShouldListenTo = s => s == source, Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded };
        ActivitySource.AddActivityListener(listenToTests);

        string answer;
        string hostId;
        using (Activity root = source.StartActivity("host work")!)
        {
            hostId = root.Id!;
            answer = await plugin.CallAsync("whoami", "", cancellationToken);
        }

        string[] parts = answer.Split('|');
        Activity call = clientActivities.Single(a => a.ParentId == hostId);
        Assert.That(call.Kind, Is.EqualTo(ActivityKind.Client));
        Assert.That(call.DisplayName, Is.EqualTo("whoami"));
        Assert.That(call.GetTagItem("rpc.system"), Is.EqualTo("pluginipc"));
        Assert.That(call.GetTagItem("rpc.method"), Is.EqualTo("whoami"));
        Assert.That(call.GetTagItem("rpc.service"), Is.EqualTo("trace"));
        Assert.That(parts[1], Is.EqualTo(call.Id), "the traceparent header is the host's call activity");
        Assert.That(parts[0], Is.EqualTo(call.Id), "the plugin's handler activity has the host's call as parent");
        Assert.That(ActivityContext.Parse(parts[0], null).TraceId, Is.EqualTo(ActivityContext.Parse(hostId, null).TraceId));
    }

    [Test, CancelAfter(60_000)]
    public async Task CallAsync_TextFramer_HeadersAreDroppedSoThePluginSeesNoParent(CancellationToken cancellationToken)
    {
        var clientActivities = new ConcurrentQueue<Activity>();
        using ActivityListener listener = Listen(clientActivities);
        await using ServiceProvider provider = Build("text", pluginListens: true);
        Plugin plugin = await provider.GetRequiredService<IPluginManager>().GetAsync("trace", cancellationToken);

        string answer = await plugin.CallAsync("whoami", "", cancellationToken);

        Assert.That(clientActivities.Any(a => a.DisplayName == "whoami"), Is.True, "the host still records its call");
        Assert.That(answer.Split('|')[..2], Is.EqualTo(new[] { "", "" }), "the text framing carries no headers: the trace stops at the process boundary");
    }

    private static ActivityListener Listen(ConcurrentQueue<Activity> clientActivities)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == PluginIpcDiagnostics.ActivitySourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = a =>
            {
                if (a.Kind == ActivityKind.Client)
                {
                    clientActivities.Enqueue(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    private static ServiceProvider Build(string framer, bool pluginListens)
    {
        var services = new ServiceCollection();
        services.AddPluginIpc(o => o.PluginFolders.Clear());
        services.AddPlugin("trace", o => TracePlugin.Configure(o, framer, pluginListens));
        return services.BuildServiceProvider();
    }
}
