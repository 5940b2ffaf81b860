using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PluginIpc.AspNetCore.Diagnostics;
using PluginIpc.AspNetCore.Security;
using PluginIpc.AspNetCore.Transport;

namespace PluginIpc.AspNetCore.Dashboard;

/// <summary>
/// The dashboard's requests: its page and files, sign-in, the plugins (list, detail, start, stop, restart), the log query
/// and the live socket. Every response carries a strict Content-Security-Policy; every API response is not cached.
/// </summary>
internal sealed class DashboardEndpoints(
    DashboardAccess access,
    DashboardSessions sessions,
    DashboardState state,
    GatewayHttpTransport transport,
    GatewayMetrics metrics,
    ILoggerFactory loggerFactory,
    IHostApplicationLifetime? lifetime = null)
{
    /// <summary>What the page may load and reach: itself only, no inline script or style, no framing.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly string[] s_actions = ["start", "stop", "restart"];
    private readonly ILogger _logger = loggerFactory.CreateLogger(GatewayLog.Category);
    private readonly DashboardAssets _assets = DashboardAssets.Instance;

    /// <summary>Serves the page at <c>{prefix}/</c>; <c>{prefix}</c> (routing matches both) is redirected there, so that the page's relative links work.</summary>
    public Task PageAsync(HttpContext context) => Guard(context, needsAuthentication: false, () =>
    {
        if (context.Request.Path.Value?.EndsWith('/') != true)
        {
            context.Response.Redirect(context.Request.PathBase.Add(context.Request.Path) + "/" + context.Request.QueryString);
            return Task.CompletedTask;
        }

        return ServeAsync(context, _assets.Page, immutable: false);
    });

    public Task AssetAsync(HttpContext context, string name) => Guard(context, needsAuthentication: false, () =>
    {
        if (_assets.Find(name) is not { } asset)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        // Only the version the page links to is cached for good; any other URL is revalidated.
        return ServeAsync(context, asset, immutable: context.Request.Query["v"] == asset.Version);
    });

    public Task SessionAsync(HttpContext context) => Guard(context, needsAuthentication: true, () =>
        JsonAsync(context, StatusCodes.Status200OK, access.UsesSessions ? """{"signOut":true}"""u8.ToArray() : """{"signOut":false}"""u8.ToArray()));

    /// <summary>Signs in: the dashboard's token in the Authorization header (not a session) buys a session cookie.</summary>
    public Task SignInAsync(HttpContext context) => Guard(context, needsAuthentication: false, () =>
    {
        if (access.UsesSessions)
        {
            if (!access.PresentsToken(context))
            {
                return GatewayRefusal.WriteAsync(context, GatewayAccessResult.Unauthenticated, problem: null, _logger, metrics);
            }

            sessions.Create(context, CookiePath(context));
            GatewayLog.DashboardSignedIn(_logger, Remote(context));
        }

        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    });

    public Task SignOutAsync(HttpContext context) => Guard(context, needsAuthentication: false, () =>
    {
        sessions.End(context, CookiePath(context));
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    });

    public Task PluginsAsync(HttpContext context) => Guard(context, needsAuthentication: true, () =>
        JsonAsync(context, StatusCodes.Status200OK, state.Plugins()));

    public Task PluginAsync(HttpContext context, string name) => Guard(context, needsAuthentication: true, () =>
        state.Manager.Names.Contains(name)
            ? JsonAsync(context, StatusCodes.Status200OK, DashboardJson.Plugin(state.Manager, state.Figures, name))
            : NotFoundAsync(context, name));

    public Task ControlAsync(HttpContext context, string name, string action) => Guard(context, needsAuthentication: true, async () =>
    {
        if (!state.Manager.Names.Contains(name))
        {
            await NotFoundAsync(context, name).ConfigureAwait(false);
            return;
        }

        if (!s_actions.Contains(action))
        {
            await JsonAsync(context, StatusCodes.Status404NotFound, DashboardJson.Error($"The actions are start, stop and restart, not '{action}'.")).ConfigureAwait(false);
            return;
        }

        GatewayLog.DashboardAction(_logger, action, name, Remote(context));

        // Not the request's token: a page closed half-way through a restart must not leave the plugin stopped.
        CancellationToken stopping = lifetime?.ApplicationStopping ?? CancellationToken.None;
        try
        {
            await (action switch
            {
                "start" => state.Manager.StartPluginAsync(name, stopping),
                "stop" => state.Manager.StopPluginAsync(name, stopping),
                _ => state.Manager.RestartPluginAsync(name, stopping),
            }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PluginStartException or ObjectDisposedException or OperationCanceledException)
        {
            GatewayLog.DashboardActionFailed(_logger, action, name, ex.Message);
            await JsonAsync(context, StatusCodes.Status409Conflict, DashboardJson.Error(ex.Message)).ConfigureAwait(false);
            return;
        }

        await JsonAsync(context, StatusCodes.Status200OK, DashboardJson.Plugin(state.Manager, state.Figures, name)).ConfigureAwait(false);
    });

    public Task LogsAsync(HttpContext context) => Guard(context, needsAuthentication: true, () =>
    {
        PluginLogQuery query;
        try
        {
            query = LogQueryReader.Read(context.Request.Query);
        }
        catch (LogQueryException ex)
        {
            return JsonAsync(context, StatusCodes.Status400BadRequest, DashboardJson.Error(ex.Message));
        }

        if (query.Plugin is { } plugin && !state.Manager.Names.Contains(plugin))
        {
            return NotFoundAsync(context, plugin);
        }

        return JsonAsync(context, StatusCodes.Status200OK, DashboardJson.Logs(state.Manager.QueryLogs(query)));
    });

    public Task LiveAsync(HttpContext context)
    {
        AddSecurityHeaders(context.Response);
        return transport.RunWebSocketAsync(
            context,
            connection => new DashboardLiveSession(connection, state, () => access.Check(context, needsAuthentication: true) == GatewayAccessResult.Allowed, _logger),
            c => access.Check(c, needsAuthentication: true));
    }

    private static Task NotFoundAsync(HttpContext context, string name) =>
        JsonAsync(context, StatusCodes.Status404NotFound, DashboardJson.Error($"No plugin is named '{LogQueryReader.Shorten(name)}'."));

    private static Task JsonAsync(HttpContext context, int status, byte[] body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    private static Task ServeAsync(HttpContext context, DashboardAsset asset, bool immutable)
    {
        HttpResponse response = context.Response;
        response.Headers.ETag = asset.ETag;
        response.Headers.CacheControl = immutable ? "public, max-age=31536000, immutable" : "no-cache";
        if (context.Request.Headers.IfNoneMatch == asset.ETag)
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }

        response.ContentType = asset.ContentType;
        response.ContentLength = asset.Content.Length;
        return response.Body.WriteAsync(asset.Content, context.RequestAborted).AsTask();
    }

    private static void AddSecurityHeaders(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        response.Headers["Referrer-Policy"] = "no-referrer";
    }

    /// <summary>The dashboard's own path (the cookie's scope): the part of the request's path before <c>/api/</c>.</summary>
    private static string CookiePath(HttpContext context)
    {
        string path = context.Request.PathBase.Add(context.Request.Path).Value ?? "/";
        int api = path.LastIndexOf("/api/", StringComparison.Ordinal);
        return api <= 0 ? "/" : path[..api];
    }

    private static string Remote(HttpContext context) => $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}";

    private Task Guard(HttpContext context, bool needsAuthentication, Func<Task> handle)
    {
        AddSecurityHeaders(context.Response);
        GatewayAccessResult result = access.Check(context, needsAuthentication);
        return result == GatewayAccessResult.Allowed ? handle() : GatewayRefusal.WriteAsync(context, result, access.ConfigurationProblem(context.GetEndpoint()), _logger, metrics);
    }
}
