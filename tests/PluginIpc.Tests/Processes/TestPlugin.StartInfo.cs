namespace PluginIpc.Tests.Processes;

/// <summary>The part of <see cref="TestPlugin"/> that uses PluginIpc's internals, which PluginIpc.Hosting.Tests cannot see.</summary>
internal static partial class TestPlugin
{
    /// <summary>Returns start info that runs TestPlugin with <paramref name="mode"/> over <paramref name="transport"/>.</summary>
    public static PluginProcessStartInfo StartInfo(PluginTransport transport, params string[] mode) =>
        new(DotnetPath) { Arguments = ["exec", DllPath, .. mode], Transport = transport };
}
