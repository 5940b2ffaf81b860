using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;

namespace PluginIpc.AspNetCore.Tests.Dashboard;

/// <summary>The dashboard's page, files, sign-in and access rules, over real HTTP to a real Kestrel.</summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class DashboardHttpTests
{
    [Test]
    public async Task ThePage_IsServedWithAStrictPolicy_AndRevalidated()
    {
        await using GatewayApp app = await DashboardApp.StartAsync();

        using HttpResponseMessage page = await app.Http.GetAsync(DashboardApp.Path);
        string html = await page.Content.ReadAsStringAsync();

        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(page.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/html"));
        Assert.That(string.Join(";", page.Headers.GetValues("Content-Security-Policy")), Does.Contain("script-src 'self'").And.Contain("default-src 'none'").And.Contain("frame-ancestors 'none'"));
        Assert.That(page.Headers.CacheControl!.NoCache, Is.True);
        Assert.That(html, Does.Not.Contain("<script>").And.Not.Contain("style="), "no inline script or style: the policy would block it");
        Assert.That(html, Does.Not.Contain("http://").And.Not.Contain("https://"), "nothing from another site (no CDN)");

        var again = new HttpRequestMessage(HttpMethod.Get, DashboardApp.Path);
        again.Headers.IfNoneMatch.Add(page.Headers.ETag!);
        using HttpResponseMessage notModified = await app.Http.SendAsync(again);
        Assert.That(notModified.StatusCode, Is.EqualTo(HttpStatusCode.NotModified));
    }

    [Test]
    public async Task TheFiles_ThePageLinks_AreCachedForGood_OthersAreRevalidated()
    {
        await using GatewayApp app = await DashboardApp.StartAsync();
        string html = await app.Http.GetStringAsync(DashboardApp.Path);
        string script = System.Text.RegularExpressions.Regex.Match(html, "assets/dashboard\\.js\\?v=[0-9a-f]+").Value;

        using HttpResponseMessage linked = await app.Http.GetAsync(DashboardApp.Path + script);
        using HttpResponseMessage unversioned = await app.Http.GetAsync(DashboardApp.Path + "assets/dashboard.js");
        using HttpResponseMessage missing = await app.Http.GetAsync(DashboardApp.Path + "assets/other.js");

        Assert.That(script, Is.Not.Empty);
        Assert.That(linked.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(linked.Headers.CacheControl!.ToString(), Does.Contain("immutable").And.Contain("max-age=31536000"));
        Assert.That(linked.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/javascript"));
        Assert.That(unversioned.Headers.CacheControl!.NoCache, Is.True);
        Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task TheApi_NeedsTheToken_OrASessionBoughtWithIt()
    {
        await using GatewayApp app = await DashboardApp.StartAsync();
        var cookies = new CookieContainer();
        using var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = new Uri(app.Address, DashboardApp.Path) };

        using HttpResponseMessage anonymous = await client.GetAsync("api/plugins");
        using HttpResponseMessage wrong = await SignInAsync(client, "not-the-token-at-all");
        using HttpResponseMessage bearer = await Send(client, HttpMethod.Get, "api/plugins", DashboardApp.Token);
        Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(bearer.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(cookies.Count, Is.Zero, "a wrong token buys no session");

        using HttpResponseMessage signIn = await SignInAsync(client, DashboardApp.Token);
        string setCookie = string.Join(";", signIn.Headers.GetValues("Set-Cookie"));
        Assert.That(signIn.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(setCookie, Does.Contain("httponly").IgnoreCase.And.Contain("samesite=strict").IgnoreCase.And.Contain("path=/plugins/dashboard"));
        Assert.That(setCookie, Does.Not.Contain(DashboardApp.Token), "the cookie is a session id, not the token");

        using HttpResponseMessage withSession = await client.GetAsync("api/plugins");
        JsonElement list = JsonDocument.Parse(await withSession.Content.ReadAsStringAsync()).RootElement;
        Assert.That(withSession.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(withSession.Headers.CacheControl!.NoStore, Is.True);
        Assert.That(list.GetProperty("plugins").EnumerateArray().Select(p => p.GetProperty("name").GetString()), Does.Contain("echo").And.Contain("probe"));

        using HttpResponseMessage signOut = await client.DeleteAsync("api/session");
        using HttpResponseMessage afterSignOut = await client.GetAsync("api/plugins");
        Assert.That(signOut.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(afterSignOut.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task AnotherSitesPage_CannotControlPlugins_ItsOwnPageCan()
    {
        await using GatewayApp app = await DashboardApp.StartAsync();
        string own = app.Address.GetLeftPart(UriPartial.Authority);

        using HttpResponseMessage foreign = await Send(app.Http, HttpMethod.Post, DashboardApp.Path + "api/plugins/echo/start", DashboardApp.Token, origin: "http://evil.example");
        Assert.That(foreign.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(app.Manager().GetState("echo"), Is.EqualTo(PluginState.Created), "the refused request started nothing");

        using HttpResponseMessage same = await Send(app.Http, HttpMethod.Post, DashboardApp.Path + "api/plugins/echo/start", DashboardApp.Token, origin: own);
        Assert.That(same.StatusCode, Is.EqualTo(HttpStatusCode.OK), await same.Content.ReadAsStringAsync());
        Assert.That(app.Manager().GetState("echo"), Is.EqualTo(PluginState.Running));
    }

    [Test]
    public async Task TheGatewaysToken_DoesNotOpenTheDashboard()
    {
        await using GatewayApp app = await DashboardApp.StartAsync();
        var cookies = new CookieContainer();
        using var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = new Uri(app.Address, DashboardApp.Path) };

        using HttpResponseMessage call = await Send(client, HttpMethod.Post, "api/plugins/echo/stop", DashboardApp.GatewayToken);
        using HttpResponseMessage signIn = await SignInAsync(client, DashboardApp.GatewayToken);

        Assert.That(call.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(signIn.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(cookies.Count, Is.Zero);
    }

    [Test]
    public async Task AnOriginTheGatewayAllows_StillCannotUseTheDashboard()
    {
        // AllowedOrigins lets a front end call plugins; it must not let that page drive the dashboard with an operator's cookie.
        await using GatewayApp app = await DashboardApp.StartAsync(o => o.AllowedOrigins.Add("http://front.example"));
        var cookies = new CookieContainer();
        using var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = new Uri(app.Address, DashboardApp.Path) };
        using (HttpResponseMessage signIn = await SignInAsync(client, DashboardApp.Token))
        {
            Assert.That(signIn.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }

        using HttpResponseMessage stop = await Send(client, HttpMethod.Post, "api/plugins/echo/stop", origin: "http://front.example");
        using HttpResponseMessage signOut = await Send(client, HttpMethod.Delete, "api/session", origin: "http://front.example");
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.Cookies = cookies;
        socket.Options.SetRequestHeader("Origin", "http://front.example");
        System.Net.WebSockets.WebSocketException? refused = Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() =>
            socket.ConnectAsync(new UriBuilder(app.Address) { Scheme = "ws", Path = DashboardApp.Path + "api/live" }.Uri, CancellationToken.None));

        Assert.That(stop.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(signOut.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(refused!.Message, Does.Contain("403"));
        Assert.That(app.Manager().GetStatus("echo").IsHeld, Is.False);
    }

    [Test]
    public async Task OnlyTheGatewaysToken_IsNotEnough_TheAppDoesNotStart()
    {
        InvalidOperationException? failure = Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await using GatewayApp app = await GatewayApp.StartAsync(o => o.BearerToken = DashboardApp.GatewayToken, mapMore: a => a.MapPluginDashboard("/ops"));
        });
        Assert.That(failure!.Message, Does.Contain("The plugin dashboard at '/ops").And.Contain("DashboardBearerToken"));
    }

    [Test]
    public void TheSameTokenForGatewayAndDashboard_IsRefused()
    {
        Microsoft.Extensions.Options.OptionsValidationException? failure = Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(async () =>
        {
            await using GatewayApp app = await GatewayApp.StartAsync(
                o =>
                {
                    o.BearerToken = DashboardApp.Token;
                    o.DashboardBearerToken = DashboardApp.Token;
                },
                mapMore: a => a.MapPluginDashboard("/ops"));
        });
        Assert.That(failure!.Message, Does.Contain("DashboardBearerToken must differ from BearerToken"));
    }

    [Test]
    public async Task ADashboardBehindTheApplicationsOwnAuthorization_NeedsNoToken()
    {
        await using GatewayApp app = await GatewayApp.StartAsync(
            o => o.BearerToken = DashboardApp.GatewayToken,
            build: HeaderAuthenticationHandler.Register,
            mapMore: a => a.MapPluginDashboard("/plugins/dashboard").RequireAuthorization());

        using HttpResponseMessage anonymous = await app.Http.GetAsync(DashboardApp.Path + "api/plugins");
        var request = new HttpRequestMessage(HttpMethod.Get, DashboardApp.Path + "api/plugins");
        request.Headers.Add(HeaderAuthenticationHandler.Header, "operator");
        using HttpResponseMessage signedIn = await app.Http.SendAsync(request);

        Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(signedIn.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task WithoutAuthentication_TheAppDoesNotStart()
    {
        InvalidOperationException? failure = Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await using GatewayApp app = await GatewayApp.StartAsync(o => o.Expose("echo"), mapMore: a => a.MapPluginDashboard("/ops"));
        });
        Assert.That(failure!.Message, Does.Contain("has no authentication"));
    }

    [Test]
    public async Task ALoopbackDashboard_RefusesAHostNameThatIsNotLoopback()
    {
        // DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 would be same-origin with the dashboard.
        await using GatewayApp app = await GatewayApp.StartAsync(o => o.AllowUnauthenticatedLoopback = true, mapMore: a => a.MapPluginDashboard("/plugins/dashboard"));

        using HttpResponseMessage loopback = await app.Http.GetAsync(DashboardApp.Path + "api/plugins");
        var rebound = new HttpRequestMessage(HttpMethod.Get, DashboardApp.Path + "api/plugins");
        rebound.Headers.Host = "evil.example:" + app.Address.Port;
        using HttpResponseMessage refused = await app.Http.SendAsync(rebound);

        Assert.That(loopback.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public void MapPluginDashboard_WithoutTheGatewaysServices_SaysWhatToCall()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        using WebApplication app = builder.Build();

        InvalidOperationException? failure = Assert.Throws<InvalidOperationException>(() => app.MapPluginDashboard("/ops"));
        Assert.That(failure!.Message, Does.Contain("AddPluginGateway"));
    }

    internal static Task<HttpResponseMessage> SignInAsync(HttpClient client, string token) => Send(client, HttpMethod.Post, "api/session", token);

    internal static Task<HttpResponseMessage> Send(HttpClient client, HttpMethod method, string path, string? token = null, string? origin = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        return client.SendAsync(request);
    }
}
