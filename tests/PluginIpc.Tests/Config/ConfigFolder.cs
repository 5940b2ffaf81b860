namespace PluginIpc.Tests.Config;

/// <summary>A configuration store folder of its own for one test, deleted after it.</summary>
internal sealed class ConfigFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pluginipc-config-" + Guid.NewGuid().ToString("N"));

    public string File(string scope, string plugin) => System.IO.Path.Combine(Path, scope, plugin + ".json");

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
