namespace PluginIpc.AspNetCore.WebChannel;

/// <summary>Who sent an envelope and over what: the idempotency key's user, the connection's pages (WebSocket only) and its end.</summary>
/// <param name="User">The authenticated user's name, or <c>anonymous</c>.</param>
/// <param name="Pages">The WebSocket connection's pages, or <see langword="null"/> over HTTP.</param>
/// <param name="Closed">Fires when the connection (or HTTP request) ends.</param>
internal sealed record WebChannelClient(string User, WebChannelPages? Pages, CancellationToken Closed)
{
    /// <summary>Returns the idempotency user of <paramref name="context"/>: its authenticated name, else <c>anonymous</c>.</summary>
    public static string UserOf(Microsoft.AspNetCore.Http.HttpContext context) =>
        context.User.Identity is { IsAuthenticated: true, Name: { Length: > 0 } name } ? name : "anonymous";
}
