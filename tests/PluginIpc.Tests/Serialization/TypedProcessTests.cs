using PluginIpc.Tests.DependencyInjection;
using PluginIpc.Tests.Host;

namespace PluginIpc.Tests.Serialization;

/// <summary>Typed calls to a real plugin process whose handler is registered on its <see cref="MainOptions"/>.</summary>
[Category("Process")]
public sealed class TypedProcessTests : PluginTestBase
{
    [TestCase("text", false)]
    [TestCase("msgpack", false)]
    [TestCase("text", true)]
    [TestCase("msgpack", true)]
    [CancelAfter(60_000)]
    public async Task CallAsync_TypedHandlerOfTheMainOptions_AnswersAnObject_AndTheHandshakeNamesTheSerializer(string framer, bool json, CancellationToken cancellationToken)
    {
        var options = new PluginOptions { Serializer = json ? new JsonPluginSerializer() : null };
        TracePlugin.Configure(options, framer);
        if (json)
        {
            options.Arguments.Add("json");
        }

        await using Plugin plugin = CreatePlugin(options);
        await plugin.StartAsync(cancellationToken);

        Point moved = await plugin.CallAsync<Point, Point>("typed.move", new Point(10, 20), cancellationToken);

        Assert.That(moved, Is.EqualTo(new Point(11, 21)));
        Assert.That(plugin.Metadata["serializer"], Is.EqualTo(json ? "json" : "msgpack"));
    }

    [Test, CancelAfter(60_000)]
    public async Task BusyPollTime_OfTheHost_IsWhatThePluginRunsWith([Values(0, 50)] int microseconds, CancellationToken cancellationToken)
    {
        var options = new PluginOptions { BusyPollTime = TimeSpan.FromMicroseconds(microseconds) };
        TracePlugin.Configure(options);
        await using Plugin plugin = CreatePlugin(options);
        await plugin.StartAsync(cancellationToken);

        string pluginSide = await plugin.CallAsync("busy-poll", string.Empty, cancellationToken);

        Assert.That(pluginSide, Is.EqualTo(microseconds.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }
}
