using System.Reflection;
using PluginIpc.Tests.Processes;

namespace PluginIpc.Tests.NodeSdk;

/// <summary>
/// Finds Node.js and the repository's Node.js folders (the npm package src/pluginipc-node, the NodeBackend sample, the test
/// plugins in NodeSdk/plugins), installs their packages once with <c>npm ci</c>, and builds options that start a Node plugin.
/// Without <c>node</c> and <c>npm</c> on the PATH the tests are ignored, or fail under CI=true.
/// </summary>
internal static class NodeSdk
{
    private const string Hint = "install Node.js 18 or later and npm to run the Node.js SDK tests.";
    private static readonly SemaphoreSlim s_install = new(1, 1);
    private static bool s_installed;

    /// <summary>Gets the repository's root, from the test assembly's metadata (see the csproj).</summary>
    public static string Root { get; } =
        typeof(NodeSdk).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "PluginIpc.NodeSdk.Root").Value!;

    public static string PackageFolder => Path.Combine(Root, "src", "pluginipc-node");

    public static string SampleFolder => Path.Combine(Root, "samples", "NodeBackend");

    public static string PluginsFolder => Path.Combine(Root, "tests", "PluginIpc.Tests", "NodeSdk", "plugins");

    /// <summary>Returns the path of <c>node</c>, after the packages are installed; ignores (or, under CI, fails) the test without Node.js.</summary>
    public static async Task<string> RequireAsync()
    {
        string node = NodeTools.Require("node", Hint);
        string npm = NodeTools.Require("npm", Hint);
        await s_install.WaitAsync();
        try
        {
            if (!s_installed)
            {
                await NodeTools.InstallOnceAsync(npm, PackageFolder);
                await NodeTools.InstallOnceAsync(npm, SampleFolder);
                s_installed = true;
            }
        }
        finally
        {
            s_install.Release();
        }

        return node;
    }

    /// <summary>Options that start <c>node {script}</c> from NodeSdk/plugins, named as the plugin names itself, with the given framing and transport.</summary>
    public static PluginOptions Options(string node, string script, string name, string framer, PluginTransport transport)
    {
        var options = new PluginOptions
        {
            Name = name,
            ExecutablePath = node,
            Framer = framer,
            Transport = transport,
            WorkingDirectory = PluginsFolder,
            StartTimeout = TimeSpan.FromSeconds(20),
            PingInterval = Timeout.InfiniteTimeSpan, // tests that want health checks turn them on
        };
        options.Arguments.Add(Path.Combine(PluginsFolder, script));
        return options;
    }
}
