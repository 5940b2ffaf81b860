using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace PluginIpc.AspNetCore.Dashboard;

/// <summary>
/// Browser sessions of the dashboard: a person signs in once with the bearer token, which the page then forgets, and the
/// browser carries a random session id in an HttpOnly, SameSite=Strict cookie (no token in any URL or script).
/// </summary>
/// <remarks>Thread safe. Bounded: at most <see cref="MaxSessions"/>; the least recently used goes first. Kept by a hash of the id.</remarks>
internal sealed class DashboardSessions(TimeProvider time)
{
    /// <summary>The cookie's name.</summary>
    public const string CookieName = "PluginIpc.Dashboard";

    /// <summary>The most sessions kept at once.</summary>
    public const int MaxSessions = 1000;

    /// <summary>How long a session lasts without a request.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<string, long> _lastSeen = new(StringComparer.Ordinal);
    private readonly Lock _createLock = new();

    /// <summary>Starts a session and sets its cookie on the response, scoped to <paramref name="path"/>.</summary>
    public void Create(HttpContext context, string path)
    {
        string id = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        long now = time.GetTimestamp();
        lock (_createLock)
        {
            if (_lastSeen.Count >= MaxSessions)
            {
                Prune(now);
            }

            _lastSeen[Key(id)] = now;
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
        if (!_lastSeen.TryGetValue(key, out long seen))
        {
            return false;
        }

        if (time.GetElapsedTime(seen, now) > IdleTimeout)
        {
            _lastSeen.TryRemove(key, out _);
            return false;
        }

        _lastSeen[key] = now;
        return true;
    }

    /// <summary>Ends the request's session, if any, and deletes its cookie.</summary>
    public void End(HttpContext context, string path)
    {
        if (context.Request.Cookies.TryGetValue(CookieName, out string? id) && !string.IsNullOrEmpty(id) && id.Length <= 64)
        {
            _lastSeen.TryRemove(Key(id), out _);
        }

        context.Response.Cookies.Delete(CookieName, new CookieOptions { Path = path, HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = context.Request.IsHttps });
    }

    private static string Key(string id) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(id)));

    private void Prune(long now)
    {
        foreach (KeyValuePair<string, long> session in _lastSeen)
        {
            if (time.GetElapsedTime(session.Value, now) > IdleTimeout)
            {
                _lastSeen.TryRemove(session.Key, out _);
            }
        }

        // Still full: the least recently used go, so a flood of sign-ins cannot grow memory.
        int excess = _lastSeen.Count - MaxSessions + 1;
        foreach (KeyValuePair<string, long> session in _lastSeen.OrderBy(s => s.Value).Take(Math.Max(0, excess)))
        {
            _lastSeen.TryRemove(session.Key, out _);
        }
    }
}
