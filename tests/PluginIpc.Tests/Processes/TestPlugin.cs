using System.Diagnostics;

namespace PluginIpc.Tests.Processes;

/// <summary>Finds and describes the TestPlugin executable, which the test project's build copies next to the tests.</summary>
/// <remarks>PluginIpc.Hosting.Tests links this file, so it uses PluginIpc's public API only; TestPlugin.StartInfo.cs has the rest.</remarks>
internal static partial class TestPlugin
{
    /// <summary>Gets the TestPlugin assembly, run with <c>dotnet exec</c> so that no apphost or runtime lookup is involved.</summary>
    public static string DllPath { get; } = Locate();

    /// <summary>Gets the <c>dotnet</c> host running the tests: the SDK exports it to test hosts, else the current process is it.</summary>
    public static string DotnetPath { get; } =
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath ? hostPath
        : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath!
        : "dotnet";

    /// <summary>Returns a plain <see cref="ProcessStartInfo"/> that runs TestPlugin with <paramref name="mode"/>, all streams redirected.</summary>
    public static ProcessStartInfo RawStartInfo(params string[] mode)
    {
        var startInfo = new ProcessStartInfo(DotnetPath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in (string[])["exec", DllPath, .. mode])
        {
            startInfo.ArgumentList.Add(argument);
        }

        return startInfo;
    }

    private static string Locate()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "PluginIpc.TestPlugin.dll");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException("TestPlugin was not copied next to the tests; it is a ProjectReference of the test project.", path);
    }
}
