using Microsoft.Playwright;

namespace PluginIpc.AspNetCore.Tests.Dashboard;

/// <summary>
/// Headless Chromium from the system (the Debian package <c>chromium</c>), driven by Playwright: browsers cannot be downloaded
/// here, so Playwright is given the executable's path. Without it a test is ignored with what to install, or fails when CI is "true".
/// </summary>
internal sealed class SystemChromium : IAsyncDisposable
{
    private const string Hint = "The dashboard's browser tests need Chromium: install the Debian package 'chromium' (apt-get install chromium), or set CHROMIUM_PATH to a Chromium executable.";

    private SystemChromium(IPlaywright playwright, IBrowser browser)
    {
        Playwright = playwright;
        Browser = browser;
    }

    public IPlaywright Playwright { get; }

    public IBrowser Browser { get; }

    /// <summary>Gets the Chromium executable: CHROMIUM_PATH, else chromium or chromium-browser on the PATH; <see langword="null"/> when none.</summary>
    public static string? ExecutablePath { get; } = Find();

    /// <summary>Launches headless Chromium, or ignores (fails, under CI) the calling test when there is none.</summary>
    public static async Task<SystemChromium> LaunchAsync()
    {
        if (ExecutablePath is null)
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail(Hint + " (CI is true, so the browser tests fail rather than skip)");
            }

            Assert.Ignore(Hint);
        }

        IPlaywright playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        try
        {
            // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
            IBrowser browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ExecutablePath, Headless = true, Args = ["--no-sandbox"] });
            return new SystemChromium(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
    }

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? configured : null;
        }

        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (string name in new[] { "chromium", "chromium-browser" })
            {
                string candidate = Path.Combine(directory, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
