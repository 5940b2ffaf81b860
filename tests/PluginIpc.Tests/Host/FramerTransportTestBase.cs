namespace PluginIpc.Tests.Host;

/// <summary>A <see cref="PluginTestBase"/> run once per framer and transport (the fixture's cases: <see cref="Cases"/>).</summary>
public abstract class FramerTransportTestBase(string framer, PluginTransport transport) : PluginTestBase
{
    /// <summary>Gets the framer of this run of the fixture.</summary>
    protected string Framer { get; } = framer;

    /// <summary>Gets the transport of this run of the fixture.</summary>
    protected PluginTransport Transport { get; } = transport;

    /// <summary>Every framer with inherited pipes and with stdio.</summary>
    public static IEnumerable<TestFixtureData> Cases() =>
        from name in Framers.Names
        from kind in new[] { PluginTransport.InheritedPipes, PluginTransport.Stdio }
        select new TestFixtureData(name, kind);
}
