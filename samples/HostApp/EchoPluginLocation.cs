namespace HostApp;

/// <summary>Finds the EchoPlugin sample that the build copies next to HostApp, and the dotnet host that runs it.</summary>
internal static class EchoPluginLocation
{
    /// <summary>Gets the path of EchoPlugin.dll: HostApp's csproj references EchoPlugin, so the build puts it next to HostApp.</summary>
    public static string DllPath { get; } = Path.Combine(AppContext.BaseDirectory, "EchoPlugin.dll");

    /// <summary>Gets the dotnet host that runs HostApp, to run EchoPlugin with <c>dotnet exec EchoPlugin.dll</c>.</summary>
    public static string DotnetPath { get; } = FindDotnet();

    private static string FindDotnet()
    {
        // Set by the SDK (dotnet run, dotnet test) to the dotnet that runs the command.
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
        {
            return hostPath;
        }

        // Started as "dotnet HostApp.dll".
        if (Environment.ProcessPath is { } processPath
            && Path.GetFileNameWithoutExtension(processPath).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return processPath;
        }

        // Started through HostApp's own launcher: the runtime lives in <dotnet root>/shared/Microsoft.NETCore.App/<version>/.
        string runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location) ?? string.Empty;
        string dotnetRoot = Path.GetFullPath(Path.Combine(runtimeDirectory, "..", "..", ".."));
        string candidate = Path.Combine(dotnetRoot, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(candidate) ? candidate : "dotnet"; // else let the PATH find it
    }
}
