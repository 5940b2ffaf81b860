namespace BusApp;

/// <summary>Finds the plugin samples that the build copies next to BusApp, and the dotnet host that runs them (and the peer host).</summary>
internal static class PluginLocation
{
    /// <summary>Gets the dotnet host that runs BusApp, to run the plugins with <c>dotnet exec X.dll</c>.</summary>
    public static string DotnetPath { get; } = FindDotnet();

    /// <summary>Gets the path of an assembly next to BusApp: OrdersPlugin, InventoryPlugin, or BusApp itself.</summary>
    public static string DllPath(string assemblyName) => Path.Combine(AppContext.BaseDirectory, assemblyName + ".dll");

    private static string FindDotnet()
    {
        // Set by the SDK (dotnet run, dotnet test) to the dotnet that runs the command.
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
        {
            return hostPath;
        }

        // Started as "dotnet BusApp.dll".
        if (Environment.ProcessPath is { } processPath
            && Path.GetFileNameWithoutExtension(processPath).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return processPath;
        }

        // Started through BusApp's own launcher: the runtime lives in <dotnet root>/shared/Microsoft.NETCore.App/<version>/.
        string runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location) ?? string.Empty;
        string dotnetRoot = Path.GetFullPath(Path.Combine(runtimeDirectory, "..", "..", ".."));
        string candidate = Path.Combine(dotnetRoot, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(candidate) ? candidate : "dotnet"; // else let the PATH find it
    }
}
