using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using PluginIpc.AspNetCore.Dashboard;

namespace PluginIpc.AspNetCore.Tests.Dashboard;

/// <summary>The dashboard's sessions: their cookie, their idle and total lifetimes, their bound, and an ended one staying ended.</summary>
public sealed class DashboardSessionsTests
{
    [Test]
    public void ASession_LastsAnHourWithoutARequest()
    {
        var clock = new FakeTimeProvider();
        var sessions = new DashboardSessions(clock);
        HttpContext request = RequestWith(SignIn(sessions));

        clock.Advance(TimeSpan.FromMinutes(59));
        Assert.That(sessions.IsValid(request), Is.True, "and this request keeps it alive");
        clock.Advance(TimeSpan.FromMinutes(59));
        Assert.That(sessions.IsValid(request), Is.True);
        clock.Advance(TimeSpan.FromMinutes(61));
        Assert.That(sessions.IsValid(request), Is.False);
    }

    [Test]
    public void ASession_EndsAfterTwelveHours_HoweverBusy()
    {
        var clock = new FakeTimeProvider();
        var sessions = new DashboardSessions(clock);
        HttpContext request = RequestWith(SignIn(sessions));

        for (int i = 0; i < 24; i++)
        {
            clock.Advance(TimeSpan.FromMinutes(30));
            Assert.That(sessions.IsValid(request), Is.True, $"after {(i + 1) * 30} minutes");
        }

        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.That(sessions.IsValid(request), Is.False);
    }

    [Test]
    public void SigningOut_EndsTheSession_AndDeletesTheCookie()
    {
        var sessions = new DashboardSessions(new FakeTimeProvider());
        HttpContext request = RequestWith(SignIn(sessions));

        sessions.End(request, "/ops");

        Assert.That(sessions.IsValid(request), Is.False);
        Assert.That(request.Response.Headers.SetCookie.ToString(), Does.Contain(DashboardSessions.CookieName + "=;").And.Contain("expires="));
    }

    [Test]
    public void AFloodOfSignIns_KeepsAtMostTheBound_TheLeastRecentlyUsedGoFirst()
    {
        var clock = new FakeTimeProvider();
        var sessions = new DashboardSessions(clock);
        HttpContext first = RequestWith(SignIn(sessions));
        HttpContext second = RequestWith(SignIn(sessions));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(sessions.IsValid(first), Is.True, "first is now used more recently than second");

        for (int i = 0; i < DashboardSessions.MaxSessions + 10; i++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(1));
            SignIn(sessions);
        }

        Assert.That(sessions.Count, Is.LessThanOrEqualTo(DashboardSessions.MaxSessions));
        Assert.That(sessions.IsValid(second), Is.False, "the least recently used went");
    }

    [Test]
    public void TheCookie_IsHttpOnly_Strict_ScopedToTheDashboard_AndSecureOverHttps()
    {
        var sessions = new DashboardSessions(new FakeTimeProvider());
        var context = new DefaultHttpContext();
        context.Request.Scheme = "https";

        sessions.Create(context, "/ops");

        string cookie = context.Response.Headers.SetCookie.ToString();
        Assert.That(cookie, Does.StartWith(DashboardSessions.CookieName + "=").And.Contain("path=/ops").And.Contain("secure").And.Contain("samesite=strict").And.Contain("httponly"));
        Assert.That(cookie.Split(';')[0].Length - DashboardSessions.CookieName.Length - 1, Is.EqualTo(43), "32 random bytes, base64url");
    }

    private static string SignIn(DashboardSessions sessions)
    {
        var context = new DefaultHttpContext();
        sessions.Create(context, "/ops");
        string cookie = context.Response.Headers.SetCookie.ToString();
        return cookie[(DashboardSessions.CookieName.Length + 1)..cookie.IndexOf(';', StringComparison.Ordinal)];
    }

    private static DefaultHttpContext RequestWith(string id)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Cookie = $"{DashboardSessions.CookieName}={id}";
        return context;
    }
}
