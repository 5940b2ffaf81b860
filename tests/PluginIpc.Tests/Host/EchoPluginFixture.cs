using PluginIpc.Tests.Processes;

namespace PluginIpc.Tests.Host;

/// <summary>Finds the EchoPlugin sample, which the test project's build copies next to the tests, and builds options to start it.</summary>
internal static class EchoPluginFixture
{
    public static string DllPath { get; } = Path.Combine(AppContext.BaseDirectory, "EchoPlugin.dll");

    public static PluginOptions Options(string framer, PluginTransport transport)
    {
        if (!File.Exists(DllPath))
        {
            throw new FileNotFoundException("EchoPlugin was not copied next to the tests; it is a ProjectReference of the test project.", DllPath);
        }

        var options = new PluginOptions
        {
            ExecutablePath = TestPlugin.DotnetPath,
            Framer = framer,
            Transport = transport,
            StartTimeout = TimeSpan.FromSeconds(20),
        };
        options.Arguments.Add("exec");
        options.Arguments.Add(DllPath);
        return options;
    }
}
