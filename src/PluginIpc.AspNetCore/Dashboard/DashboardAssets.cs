using System.Security.Cryptography;
using System.Text;

namespace PluginIpc.AspNetCore.Dashboard;

/// <summary>
/// The dashboard's page, style sheet and script, embedded in the assembly: the page links the others by a hash of their
/// content, so they may be cached for a year and a new version is fetched at once.
/// </summary>
internal sealed class DashboardAssets
{
    private const string ResourcePrefix = "PluginIpc.AspNetCore.Dashboard.Assets.";

    private DashboardAssets(DashboardAsset page, DashboardAsset styles, DashboardAsset script)
    {
        Page = page;
        Styles = styles;
        Script = script;
    }

    /// <summary>Gets the one instance; loaded on first use.</summary>
    public static DashboardAssets Instance { get; } = Load();

    /// <summary>Gets index.html, with the links to the other two filled in.</summary>
    public DashboardAsset Page { get; }

    public DashboardAsset Styles { get; }

    public DashboardAsset Script { get; }

    /// <summary>Returns the asset served at <c>assets/{name}</c>, or <see langword="null"/>.</summary>
    public DashboardAsset? Find(string name) => name switch
    {
        "dashboard.css" => Styles,
        "dashboard.js" => Script,
        _ => null,
    };

    private static DashboardAssets Load()
    {
        DashboardAsset styles = Asset("dashboard.css", "text/css; charset=utf-8", Read("dashboard.css"));
        DashboardAsset script = Asset("dashboard.js", "text/javascript; charset=utf-8", Read("dashboard.js"));
        string page = Encoding.UTF8.GetString(Read("index.html"))
            .Replace("{{css}}", $"assets/dashboard.css?v={styles.Version}", StringComparison.Ordinal)
            .Replace("{{js}}", $"assets/dashboard.js?v={script.Version}", StringComparison.Ordinal);
        return new DashboardAssets(Asset("index.html", "text/html; charset=utf-8", Encoding.UTF8.GetBytes(page)), styles, script);
    }

    private static DashboardAsset Asset(string name, string contentType, byte[] content)
    {
        string version = Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 8));
        return new DashboardAsset(name, contentType, content, version, $"\"{version}\"");
    }

    private static byte[] Read(string name)
    {
        using Stream stream = typeof(DashboardAssets).Assembly.GetManifestResourceStream(ResourcePrefix + name)
            ?? throw new InvalidOperationException($"The dashboard's embedded file '{name}' is missing from {typeof(DashboardAssets).Assembly.GetName().Name}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
