namespace PluginIpc.FloorBench;

/// <summary>Where the children's executables are.</summary>
internal static class Children
{
    /// <summary>Gets the <c>dotnet</c> host that runs this harness, else the one on the PATH.</summary>
    public static string DotnetPath { get; } =
        Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";

    /// <summary>Gets the path of EchoPlugin.dll, which the build copies next to this harness (a project reference).</summary>
    public static string EchoPluginPath { get; } = Path.Combine(AppContext.BaseDirectory, "EchoPlugin.dll");

    /// <summary>Gets the path of PluginIpc.StreamJsonRpcPeer.dll, copied next to this harness as EchoPlugin.dll is.</summary>
    public static string StreamJsonRpcPeerPath { get; } = Path.Combine(AppContext.BaseDirectory, "PluginIpc.StreamJsonRpcPeer.dll");
}
