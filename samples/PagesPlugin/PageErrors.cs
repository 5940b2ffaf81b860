using System.Text.Json;
using PluginIpc;

namespace PagesPlugin;

/// <summary>The data errors of the WebChannel protocol, raised as <see cref="RemoteException"/>s that the gateway passes on.</summary>
internal static class PageErrors
{
    /// <summary>The code of a page that does not exist.</summary>
    public const string NotFound = "E1001";

    /// <summary>The code of a write based on a stale version (or a create of an id that exists).</summary>
    public const string Conflict = "E1002";

    /// <summary>The code of invalid data; the details name the field.</summary>
    public const string Validation = "E1003";

    public static RemoteException PageNotFound(string id) =>
        new(NotFound, $"Page '{id}' does not exist.", JsonSerializer.SerializeToElement(new PageIdDetails(id), PagesJsonContext.Default.PageIdDetails));

    public static RemoteException StaleVersion(string id, long? expectedVersion, long currentVersion) =>
        new(
            Conflict,
            expectedVersion is null
                ? $"Page '{id}' already exists (version {currentVersion})."
                : $"Page '{id}' is at version {currentVersion}, not {expectedVersion}: read it again and retry.",
            JsonSerializer.SerializeToElement(new ConflictDetails(id, expectedVersion, currentVersion), PagesJsonContext.Default.ConflictDetails));

    public static RemoteException Invalid(string field, string message) =>
        new(Validation, message, JsonSerializer.SerializeToElement(new FieldDetails(field), PagesJsonContext.Default.FieldDetails));
}
