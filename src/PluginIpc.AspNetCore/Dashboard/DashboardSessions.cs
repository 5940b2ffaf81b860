using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace PluginIpc.AspNetCore.Dashboard;

/// <summary>
/// Browser sessions of the dashboard: a person signs in once with the bearer token, which the page then forgets, and the
/// browser carries a random session id in an HttpOnly, SameSite=Strict cookie (no token in any URL or script).
/// </summary>
/// <remarks>Thread safe. Bounded: at most <see cref="MaxSessions"/>; the least recently used goes first. Kept by a hash of the id. Each lasts <see cref="IdleTimeout"/> without a request, <see cref="MaxLifetime"/> at most.</remarks>
internal sealed class DashboardSessions(TimeProvider time)
{
    /// <summary>The cookie's name.</summary>
    public const string CookieName = "PluginIpc.Dashboard";

    /// <summary>The most sessions kept at once.</summary>
    public const int MaxSessions = 1000;

    /// <summary>How long a session lasts without a request (an open page's live socket counts as one).</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromHours(1);

    /// <summary>How long a session lasts at most, however busy.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromHours(12);

    private readonly ConcurrentDictionary<string, (long Created, long LastSeen)> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _createLock = new();

    /// <summary>Starts a session and sets its cookie on the response, scoped to <paramref name="path"/>.</summary>
    public void Create(HttpContext context, string path)
    {
        string id = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        long now = time.GetTimestamp();
        lock (_createLock)
        {
            if (_sessions.Count >= MaxSessions)
            {
                Prune(now);
            }

            _sessions[Key(id)] = (now, now);
        }

        context.Response.Cookies.Append(CookieName, id, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = path,
            IsEssential = true,
        });
    }

    /// <summary>Returns whether the request carries a live session; a live one is kept alive.</summary>
    public bool IsValid(HttpContext context)
    {
        if (!context.Request.Cookies.TryGetValue(CookieName, out string? id) || string.IsNullOrEmpty(id) || id.Length > 64)
        {
            return false;
        }

        string key = Key(id);
        long now = time.GetTimestamp();
        if (!_sessions.TryGetValue(key, out (long Created, long LastSeen) session))
        {
            return false;
        }

        if (Expired(session, now))
        {
            _sessions.TryRemove(new KeyValuePair<string, (long, long)>(key, session));
            return false;
        }

        // Only if unchanged since read: a session ended meanwhile (signed out) is not brought back.
        _sessions.TryUpdate(key, (session.Created, now), session);
        return true;
    }

    /// <summary>Ends the request's session, if any, and deletes its cookie.</summary>
    public void End(HttpContext context, string path)
    {
        if (context.Request.Cookies.TryGetValue(CookieName, out string? id) && !string.IsNullOrEmpty(id) && id.Length <= 64)
        {
            _sessions.TryRemove(Key(id), out _);
        }

        context.Response.Cookies.Delete(CookieName, new CookieOptions { Path = path, HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = context.Request.IsHttps });
    }

    private static string Key(string id) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(id)));

    private bool Expired((long Created, long LastSeen) session, long now) =>
        time.GetElapsedTime(session.LastSeen, now) > IdleTimeout || time.GetElapsedTime(session.Created, now) > MaxLifetime;

    private void Prune(long now)
    {
        foreach (KeyValuePair<string, (long Created, long LastSeen)> session in _sessions)
        {
            if (Expired(session.Value, now))
            {
                _sessions.TryRemove(session);
            }
        }

        // Still full: the least recently used go, so a flood of sign-ins cannot grow memory.
        int excess = _sessions.Count - MaxSessions + 1;
        foreach (KeyValuePair<string, (long Created, long LastSeen)> session in _sessions.OrderBy(s => s.Value.LastSeen).Take(Math.Max(0, excess)))
        {
            _sessions.TryRemove(session.Key, out _);
        }
    }

    /// <summary>Gets how many sessions are kept (for tests).</summary>
    internal int Count => _sessions.Count;
}
