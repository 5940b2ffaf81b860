namespace PluginIpc.AspNetCore.Dashboard;

/// <summary>One embedded file of the dashboard.</summary>
/// <param name="Name">Its file name.</param>
/// <param name="ContentType">Its media type.</param>
/// <param name="Content">Its bytes.</param>
/// <param name="Version">A hash of its bytes, in the links to it.</param>
/// <param name="ETag">Its entity tag, the quoted <paramref name="Version"/>.</param>
internal sealed record DashboardAsset(string Name, string ContentType, byte[] Content, string Version, string ETag);
