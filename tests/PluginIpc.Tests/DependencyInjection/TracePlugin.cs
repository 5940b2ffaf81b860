using PluginIpc.Tests.Processes;

namespace PluginIpc.Tests.DependencyInjection;

/// <summary>Options and manifests that run TestPlugin in mode <c>trace</c>.</summary>
internal static class TracePlugin
{
    public static void Configure(PluginOptions options, string framer = "msgpack", bool listen = false)
    {
        options.ExecutablePath = TestPlugin.DotnetPath;
        options.Arguments.Add("exec");
        options.Arguments.Add(TestPlugin.DllPath);
        options.Arguments.Add("trace");
        if (listen)
        {
            options.Arguments.Add("listen");
        }

        options.Framer = framer;
        options.StartTimeout = TimeSpan.FromSeconds(20);
    }

    /// <summary>Returns the JSON of a manifest that runs TestPlugin in mode trace, with the dll given relative to <paramref name="pluginFolder"/>.</summary>
    public static string Manifest(string name, string pluginFolder, string extra = "") =>
        $$"""
        {
          // comments and trailing commas are fine
          "name": "{{name}}",
          "command": "{{TestPlugin.DotnetPath}}",
          "arguments": ["exec", "{{Path.GetRelativePath(pluginFolder, TestPlugin.DllPath)}}", "trace"],
          "framer": "msgpack",{{extra}}
        }
        """;
}
