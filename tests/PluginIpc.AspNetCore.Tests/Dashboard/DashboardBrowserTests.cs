using Microsoft.Playwright;

namespace PluginIpc.AspNetCore.Tests.Dashboard;

/// <summary>
/// The dashboard in a real headless Chromium against a real Kestrel and real plugin processes: sign-in, the live list,
/// a crash, process control, the log query, escaping of what plugins write, and a phone's width. Each test saves a
/// screenshot as a test attachment.
/// </summary>
[TestFixture]
[CancelAfter(120_000)]
[NonParallelizable]
public sealed class DashboardBrowserTests
{
    private static readonly float Wait = (float)GatewayApp.Wait.TotalMilliseconds;

    [Test]
    public async Task TheList_ShowsARunningPlugin_ACrashAsFailedWithinASecond_AndRestartBringsItBack()
    {
        await using GatewayApp app = await DashboardApp.StartAsync();
        await using SystemChromium chromium = await SystemChromium.LaunchAsync();
        IPage page = await SignedInPageAsync(chromium, app);
        Plugin echo = await app.Manager().GetAsync("echo");
        ILocator row = Row(page, "echo");

        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "Running", new() { Timeout = Wait });
        await Assertions.Expect(row.Locator("td[data-label='PID']")).ToHaveTextAsync(echo.ProcessId!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Assertions.Expect(row.Locator("td[data-label='Framer']")).ToHaveTextAsync("text");

        Assert.CatchAsync<ChannelClosedException>(() => echo.CallAsync("crash", "now"));
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "Failed", new() { Timeout = 1000 });
        await Assertions.Expect(row.Locator(".reason")).ToContainTextAsync("exit code 3");
        await SaveScreenshotAsync(page, "dashboard-crashed.png");

        await row.Locator("button[data-action='restart']").ClickAsync();
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "Running", new() { Timeout = Wait });
        Assert.That(app.Manager().GetStatus("echo").ProcessId, Is.Not.EqualTo(echo.ProcessId).And.Not.Null);

        // The picture in the README (docs/dashboard.png): a few plugins at work and a log query.
        Plugin restarted = await app.Manager().GetAsync("echo");
        Plugin probe = await app.Manager().GetAsync("probe");
        await probe.CallAsync("log", "Warning|queue 'orders' is 80% full");
        await probe.CallAsync("log", "Error|payment service timed out after 5 s");
        for (int i = 0; i < 200; i++)
        {
            await restarted.CallAsync("echo", "hi");
        }

        await app.Logs.WaitForAsync("timed out");
        await page.SelectOptionAsync("#log-level", "Warning");
        await page.ClickAsync("#log-query button[type='submit']");
        await Assertions.Expect(page.Locator("#log-entries li")).ToHaveCountAsync(2, new() { Timeout = Wait });
        await SaveScreenshotAsync(page, "dashboard.png");
    }

    [Test]
    public async Task Stop_AsksForConfirmation_ThenTheRowShowsStopped_AndStartRunsItAgain()
    {
        await using GatewayApp app = await DashboardApp.StartAsync();
        await using SystemChromium chromium = await SystemChromium.LaunchAsync();
        IPage page = await SignedInPageAsync(chromium, app);
        await app.Manager().GetAsync("echo");
        ILocator row = Row(page, "echo");
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "Running", new() { Timeout = Wait });

        var asked = new List<string>();
        page.Dialog += async (_, dialog) =>
        {
            asked.Add(dialog.Message);
            if (asked.Count == 1)
            {
                await dialog.DismissAsync(); // the first time, the person changes their mind
            }
            else
            {
                await dialog.AcceptAsync();
            }
        };

        await row.Locator("button[data-action='stop']").ClickAsync();
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "Running");
        Assert.That(app.Manager().GetState("echo"), Is.EqualTo(PluginState.Running), "dismissed: nothing stopped");

        await row.Locator("button[data-action='stop']").ClickAsync();
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "Stopped", new() { Timeout = Wait });
        Assert.That(asked, Has.Count.EqualTo(2).And.All.Contain("Stop plugin echo"));

        await row.Locator("button[data-action='start']").ClickAsync();
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "Running", new() { Timeout = Wait });
    }

    [Test]
    public async Task AnActionUnderWay_KeepsTheRowsButtonsDisabled_ThroughARedraw()
    {
        await using GatewayApp app = await DashboardApp.StartAsync();
        await app.Manager().GetAsync("echo");
        await app.Manager().StopPluginAsync("echo");
        await using SystemChromium chromium = await SystemChromium.LaunchAsync();
        IPage page = await SignedInPageAsync(chromium, app);
        ILocator row = Row(page, "echo");
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "Stopped", new() { Timeout = Wait });

        // The page's Start is held on its way; meanwhile the plugin starts from elsewhere and the row gets Stop and Restart.
        (Task sent, TaskCompletionSource release) = await HoldAsync(page, "**/api/plugins/echo/start");
        await row.Locator("button[data-action='start']").ClickAsync();
        await sent.WaitAsync(GatewayApp.Wait);
        await app.Manager().StartPluginAsync("echo");
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "Running", new() { Timeout = Wait });

        // A second action on the plugin cannot begin before the first has its answer.
        await Assertions.Expect(row.Locator("button[data-action='restart']")).ToBeDisabledAsync();
        await Assertions.Expect(row.Locator("button[data-action='stop']")).ToBeDisabledAsync();
        release.SetResult();
        await Assertions.Expect(row.Locator("button[data-action='restart']")).ToBeEnabledAsync(new() { Timeout = Wait });
        await Assertions.Expect(row.Locator("button[data-action='stop']")).ToBeEnabledAsync();
    }

    [Test]
    public async Task AnotherPluginChosenWhileADetailLoads_IsTheOneShown()
    {
        await using GatewayApp app = await DashboardApp.StartAsync(o => o.Expose("probe"));
        await app.Manager().GetAsync("echo");
        await app.Manager().GetAsync("probe");
        await using SystemChromium chromium = await SystemChromium.LaunchAsync();
        IPage page = await SignedInPageAsync(chromium, app);

        (Task sent, TaskCompletionSource release) = await HoldAsync(page, "**/api/plugins/echo");
        await page.EvaluateAsync("""
            () => {
                window.namesShown = [];
                const name = document.getElementById('detail-name');
                new MutationObserver(() => window.namesShown.push(name.textContent)).observe(name, { childList: true, characterData: true, subtree: true });
            }
            """);
        await Row(page, "echo").Locator("a.name").ClickAsync();
        await sent.WaitAsync(GatewayApp.Wait);
        await Row(page, "probe").Locator("a.name").ClickAsync();
        release.SetResult();

        await Assertions.Expect(page.Locator("#detail-name")).ToHaveTextAsync("probe", new() { Timeout = Wait });
        Assert.That(await page.EvaluateAsync<string[]>("() => window.namesShown"), Has.No.Member("echo"), "the detail left behind was never shown");
    }

    [Test]
    public async Task TheLogQuery_FiltersByLevelAndText_AndShowsHtmlAsText()
    {
        await using GatewayApp app = await DashboardApp.StartAsync(o => o.Expose("probe"));
        Plugin probe = await app.Manager().GetAsync("probe");
        await probe.CallAsync("log", "Information|<b>bold</b> but harmless");
        await probe.CallAsync("log", "Warning|<script>window.pwned = 1</script> disk low");
        await probe.CallAsync("log", "Error|<img src=x onerror=\"window.pwned = 2\"> disk failed");
        await probe.CallAsync("log", "Warning|cpu hot");
        await app.Logs.WaitForAsync("cpu hot"); // one plugin's entries arrive in order: the last one means all
        await using SystemChromium chromium = await SystemChromium.LaunchAsync();
        IPage page = await SignedInPageAsync(chromium, app);

        await page.SelectOptionAsync("#log-plugin", "probe");
        await page.SelectOptionAsync("#log-level", "Warning");
        await page.FillAsync("#log-contains", "disk");
        await page.ClickAsync("#log-query button[type='submit']");

        ILocator entries = page.Locator("#log-entries li");
        await Assertions.Expect(entries).ToHaveCountAsync(2, new() { Timeout = Wait });
        await Assertions.Expect(entries.Nth(0)).ToContainTextAsync("<img src=x onerror=\"window.pwned = 2\"> disk failed");
        await Assertions.Expect(entries.Nth(1)).ToContainTextAsync("<script>window.pwned = 1</script> disk low");
        Assert.That(await page.Locator("#log-entries script, #log-entries img, #log-entries b").CountAsync(), Is.Zero, "no markup from a plugin became an element");
        Assert.That(await page.EvaluateAsync<bool>("() => window.pwned === undefined"), Is.True, "no script from a plugin ran");

        await page.SelectOptionAsync("#log-level", "Information");
        await page.FillAsync("#log-contains", "BOLD");
        await page.ClickAsync("#log-query button[type='submit']");
        await Assertions.Expect(entries).ToHaveCountAsync(1, new() { Timeout = Wait });
        await Assertions.Expect(entries.Nth(0)).ToContainTextAsync("<b>bold</b> but harmless");
        await SaveScreenshotAsync(page, "dashboard-logs.png");
    }

    [Test]
    public async Task TheLiveTail_ShowsNewEntriesWithoutAReload()
    {
        await using GatewayApp app = await DashboardApp.StartAsync(o => o.Expose("probe"));
        Plugin probe = await app.Manager().GetAsync("probe");
        await using SystemChromium chromium = await SystemChromium.LaunchAsync();
        IPage page = await SignedInPageAsync(chromium, app);

        await page.FillAsync("#log-contains", "tail-");
        await page.CheckAsync("#log-live");
        await page.ClickAsync("#log-query button[type='submit']");
        await probe.CallAsync("log", "Information|tail-1");
        await probe.CallAsync("log", "Information|tail-2");

        ILocator entries = page.Locator("#log-entries li");
        await Assertions.Expect(entries).ToHaveCountAsync(2, new() { Timeout = Wait });
        await Assertions.Expect(entries.Nth(0)).ToContainTextAsync("tail-2");
    }

    [Test]
    public async Task APluginsDetail_ShowsItsExitsMetadataAndStderr()
    {
        await using GatewayApp app = await DashboardApp.StartAsync();
        Plugin echo = await app.Manager().GetAsync("echo");
        await app.Manager().RestartPluginAsync("echo");
        await using SystemChromium chromium = await SystemChromium.LaunchAsync();
        IPage page = await SignedInPageAsync(chromium, app);

        await Row(page, "echo").Locator("a.name").ClickAsync();

        await Assertions.Expect(page.Locator("#detail-name")).ToHaveTextAsync("echo", new() { Timeout = Wait });
        await Assertions.Expect(page.Locator("#detail-metadata")).ToContainTextAsync("EchoPlugin");
        await Assertions.Expect(page.Locator("#detail-exits tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#detail-exits tbody tr td").Nth(1)).ToHaveTextAsync(echo.LastExit!.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await SaveScreenshotAsync(page, "dashboard-detail.png");
    }

    [Test]
    public async Task APluginsStderrAndMetadata_AreShownAsText()
    {
        await using GatewayApp app = await DashboardApp.StartAsync();
        Plugin probe = await app.Manager().GetAsync("probe");
        await probe.CallAsync("stderr", "<script>window.pwned = 4</script><i>leaning</i>");
        await app.Logs.WaitForAsync("leaning");
        await using SystemChromium chromium = await SystemChromium.LaunchAsync();
        IPage page = await SignedInPageAsync(chromium, app);

        await Row(page, "probe").Locator("a.name").ClickAsync();

        await Assertions.Expect(page.Locator("#detail-stderr")).ToContainTextAsync("<script>window.pwned = 4</script><i>leaning</i>", new() { Timeout = Wait });
        await Assertions.Expect(page.Locator("#detail-metadata")).ToContainTextAsync("<b>bold</b><img src=x onerror=\"window.pwned = 3\">");
        Assert.That(await page.Locator("#detail script, #detail i, #detail b, #detail img").CountAsync(), Is.Zero, "no markup from a plugin became an element");
        Assert.That(await page.EvaluateAsync<bool>("() => window.pwned === undefined"), Is.True, "no script from a plugin ran");
        await SaveScreenshotAsync(page, "dashboard-escaped.png");
    }

    [Test]
    public async Task AtAPhonesWidth_EachPluginIsACard_AndNothingScrollsSideways()
    {
        await using GatewayApp app = await DashboardApp.StartAsync();
        await app.Manager().GetAsync("echo");
        await using SystemChromium chromium = await SystemChromium.LaunchAsync();
        IPage page = await SignedInPageAsync(chromium, app, new ViewportSize { Width = 390, Height = 844 });

        await Assertions.Expect(Row(page, "echo")).ToHaveAttributeAsync("data-state", "Running", new() { Timeout = Wait });
        await Assertions.Expect(page.Locator("#plugins thead")).ToBeHiddenAsync();
        Assert.That(await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth"), Is.LessThanOrEqualTo(390));
        await SaveScreenshotAsync(page, "dashboard-phone.png");
    }

    [Test]
    public async Task AWrongToken_IsRefused_AndTheTokenNeverAppearsInTheUrl()
    {
        await using GatewayApp app = await DashboardApp.StartAsync();
        await using SystemChromium chromium = await SystemChromium.LaunchAsync();
        await using IBrowserContext context = await chromium.Browser.NewContextAsync();
        IPage page = await context.NewPageAsync();
        var urls = new List<string>();
        page.Request += (_, request) => urls.Add(request.Url);
        await page.GotoAsync(new Uri(app.Address, DashboardApp.Path).ToString());

        await page.FillAsync("#token", "wrong-token-wrong-token");
        await page.ClickAsync("#login-form button[type='submit']");
        await Assertions.Expect(page.Locator("#login-error")).ToContainTextAsync("not right", new() { Timeout = Wait });

        await page.FillAsync("#token", DashboardApp.Token);
        await page.ClickAsync("#login-form button[type='submit']");
        await Assertions.Expect(page.Locator("#dashboard")).ToBeVisibleAsync(new() { Timeout = Wait });
        await Assertions.Expect(page.Locator("#connection")).ToHaveAttributeAsync("data-state", "live", new() { Timeout = Wait });
        Assert.That(urls, Is.Not.Empty.And.None.Contain(DashboardApp.Token));
        Assert.That(await page.EvaluateAsync<string>("() => document.cookie"), Is.Empty, "the session cookie is HttpOnly: no script reads it");
    }

    /// <summary>Holds the page's requests to <paramref name="url"/> until the returned source is set; the task completes when the first is held.</summary>
    private static async Task<(Task Sent, TaskCompletionSource Release)> HoldAsync(IPage page, string url)
    {
        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.RouteAsync(url, async route =>
        {
            sent.TrySetResult();
            await release.Task;
            await route.ContinueAsync();
        });
        return (sent.Task, release);
    }

    private static ILocator Row(IPage page, string plugin) => page.Locator($"#plugins tr[data-plugin='{plugin}']");

    private static async Task<IPage> SignedInPageAsync(SystemChromium chromium, GatewayApp app, ViewportSize? viewport = null)
    {
        IBrowserContext context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = viewport ?? new ViewportSize { Width = 1280, Height = 800 } });
        IPage page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        await page.GotoAsync(new Uri(app.Address, DashboardApp.Path).ToString());
        await page.FillAsync("#token", DashboardApp.Token);
        await page.ClickAsync("#login-form button[type='submit']");
        await Assertions.Expect(page.Locator("#connection")).ToHaveAttributeAsync("data-state", "live", new() { Timeout = Wait });
        Assert.That(errors, Is.Empty, "the page's script ran without errors");
        return page;
    }

    private static async Task SaveScreenshotAsync(IPage page, string name)
    {
        string path = Path.Combine(TestContext.CurrentContext.WorkDirectory, "screenshots", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        TestContext.AddTestAttachment(path, name);
    }
}
