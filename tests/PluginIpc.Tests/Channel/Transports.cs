namespace PluginIpc.Tests.Channel;

/// <summary>The transports channel tests run over.</summary>
public static class Transports
{
    public const string Memory = "memory";
    public const string OsPipes = "os-pipes";

    /// <summary>OS pipes read as processes read them (see <see cref="TestPipes.CreateDedicatedPipes"/>).</summary>
    public const string DedicatedPipes = "dedicated-pipes";

    /// <summary>Every framer × transport combination, for <c>[TestFixtureSource]</c>.</summary>
    public static IEnumerable<TestFixtureData> FramerAndTransport() =>
        from framer in Framers.Names
        from transport in new[] { Memory, OsPipes, DedicatedPipes }
        select new TestFixtureData(framer, transport);
}
