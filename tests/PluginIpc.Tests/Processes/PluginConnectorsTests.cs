using Microsoft.Extensions.Logging.Abstractions;

namespace PluginIpc.Tests.Processes;

/// <summary>The one mapping of transports to connectors; <see cref="PluginProcessTests"/> runs each connector end to end.</summary>
[TestFixture]
public sealed class PluginConnectorsTests
{
    [Test]
    public void For_InheritedPipes_GivesTheInheritedPipesConnector() =>
        Assert.That(PluginConnectors.For(PluginTransport.InheritedPipes), Is.SameAs(InheritedPipesConnector.Instance));

    [Test]
    public void For_Stdio_GivesTheStdioConnector() =>
        Assert.That(PluginConnectors.For(PluginTransport.Stdio), Is.SameAs(StdioConnector.Instance));

    [Test]
    public void For_EachTransport_GivesAConnectorOverThatTransport([Values] PluginTransport transport) =>
        Assert.That(((ProcessConnector)PluginConnectors.For(transport)).Transport, Is.EqualTo(transport));

    [Test]
    public void For_UndefinedTransport_Throws() =>
        Assert.That(() => PluginConnectors.For((PluginTransport)42), Throws.TypeOf<ArgumentOutOfRangeException>());

    [Test]
    public async Task ConnectAsync_StartInfoNamesAnotherTransport_ThrowsBeforeStarting() =>
        await Failure.ThrowsAsync<ArgumentException>(
            async () => await StdioConnector.Instance.ConnectAsync(
                TestPlugin.StartInfo(PluginTransport.InheritedPipes, "hang"), NullLogger.Instance, CancellationToken.None));
}
