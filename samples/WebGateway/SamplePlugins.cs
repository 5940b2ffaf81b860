using System.Reflection;

namespace WebGateway;

/// <summary>Finds the EchoPlugin and PagesPlugin samples (built by this project, each into its own folder) and the dotnet host that runs them.</summary>
internal static class SamplePlugins
{
    /// <summary>Gets the path of EchoPlugin.dll, recorded at build time in this assembly's metadata.</summary>
    public static string EchoDll { get; } = Recorded("WebGateway.EchoPlugin");

    /// <summary>Gets the path of PagesPlugin.dll, recorded at build time in this assembly's metadata.</summary>
    public static string PagesDll { get; } = Recorded("WebGateway.PagesPlugin");

    /// <summary>Gets the dotnet host that runs this app, to run each plugin with <c>dotnet exec Plugin.dll</c>.</summary>
    public static string DotnetPath { get; } = FindDotnet();

    private static string Recorded(string key) =>
        typeof(SamplePlugins).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    private static string FindDotnet()
    {
        // Set by the SDK (dotnet run, dotnet test) to the dotnet that runs the command.
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
        {
            return hostPath;
        }

        if (Environment.ProcessPath is { } processPath && Path.GetFileNameWithoutExtension(processPath).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return processPath;
        }

        // Started through the app's own launcher: the runtime lives in <dotnet root>/shared/Microsoft.NETCore.App/<version>/.
        string runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location) ?? string.Empty;
        string candidate = Path.Combine(Path.GetFullPath(Path.Combine(runtimeDirectory, "..", "..", "..")), OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(candidate) ? candidate : "dotnet";
    }
}
