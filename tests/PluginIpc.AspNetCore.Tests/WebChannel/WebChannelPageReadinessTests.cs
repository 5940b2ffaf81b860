using PluginIpc.AspNetCore.Calls;
using PluginIpc.AspNetCore.WebChannel;

namespace PluginIpc.AspNetCore.Tests.WebChannel;

/// <summary>How one connection's pages are told onPageReady: once per plugin process, retried after a failure, shared by concurrent requests.</summary>
[TestFixture]
public sealed class WebChannelPageReadinessTests
{
    private static readonly GatewayError s_unavailable = new(GatewayErrorKind.PluginUnavailable, GatewayErrorCodes.PluginUnavailable, "gone");

    [Test]
    public async Task A_failed_telling_is_forgotten_and_the_next_request_tells_again()
    {
        var pages = new WebChannelPages();
        object process = new();
        int tellings = 0;
        Task<GatewayError?> Fail() { tellings++; return Task.FromResult<GatewayError?>(s_unavailable); }
        Task<GatewayError?> Succeed() { tellings++; return Task.FromResult<GatewayError?>(null); }

        Assert.That(await pages.EnsureReady("p", "A", process, Fail)!, Is.SameAs(s_unavailable));
        Assert.That(await pages.EnsureReady("p", "A", process, Succeed)!, Is.Null, "told again after the failure");
        Assert.That(await pages.EnsureReady("p", "A", process, Succeed)!, Is.Null);
        Assert.That(tellings, Is.EqualTo(2), "once told, not again");
    }

    [Test]
    public async Task A_page_whose_telling_failed_stays_open_and_is_told_again()
    {
        var pages = new WebChannelPages();
        object process = new();
        int tellings = 0;
        Task<GatewayError?> Succeed() { tellings++; return Task.FromResult<GatewayError?>(null); }
        Task<GatewayError?> Fail() { tellings++; return Task.FromResult<GatewayError?>(s_unavailable); }

        await pages.EnsureReady("p", "A", process, Succeed)!;
        Assert.That(await pages.EnsureReady("p", "A", process, Fail, again: true)!, Is.SameAs(s_unavailable), "a page_ready that failed");
        Assert.That(await pages.EnsureReady("p", "A", process, Succeed)!, Is.Null);
        Assert.That(tellings, Is.EqualTo(3), "the page's next request told it again");

        await pages.EnsureReady("p", "B", process, Fail)!;
        Assert.That(pages.Close(), Is.EquivalentTo(new[] { ("p", "A"), ("p", "B") }), "open pages are told onBeforeDestroy, told ready or not");
    }

    [Test]
    public async Task Concurrent_requests_of_a_page_wait_for_one_telling()
    {
        var pages = new WebChannelPages();
        object process = new();
        int tellings = 0;
        var sent = new TaskCompletionSource<GatewayError?>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<GatewayError?> Tell() { tellings++; return sent.Task; }

        Task<GatewayError?> first = pages.EnsureReady("p", "A", process, Tell)!;
        Task<GatewayError?> second = pages.EnsureReady("p", "A", process, Tell)!;
        Assert.That(second.IsCompleted, Is.False, "the second request must not reach the plugin before onPageReady is sent");

        sent.SetResult(null);
        Assert.That(await first, Is.Null);
        Assert.That(await second, Is.Null);
        Assert.That(tellings, Is.EqualTo(1));
    }

    [Test]
    public async Task A_new_process_of_the_plugin_is_told_again_and_an_explicit_page_ready_always_tells()
    {
        var pages = new WebChannelPages();
        int tellings = 0;
        Task<GatewayError?> Tell() { tellings++; return Task.FromResult<GatewayError?>(null); }

        object first = new();
        await pages.EnsureReady("p", "A", first, Tell)!;
        await pages.EnsureReady("p", "A", first, Tell)!;
        Assert.That(tellings, Is.EqualTo(1));

        object restarted = new();
        await pages.EnsureReady("p", "A", restarted, Tell)!;
        Assert.That(tellings, Is.EqualTo(2), "a restarted plugin knows nothing of the page");

        await pages.EnsureReady("p", "A", restarted, Tell, again: true)!;
        Assert.That(tellings, Is.EqualTo(3));
    }

    [Test]
    public async Task A_full_or_closed_set_keeps_no_page()
    {
        var pages = new WebChannelPages();
        object process = new();
        Task<GatewayError?> Tell() => Task.FromResult<GatewayError?>(null);
        for (int i = 0; i < WebChannelPages.Capacity; i++)
        {
            Assert.That(pages.EnsureReady("p", "page" + i, process, Tell), Is.Not.Null);
        }

        Assert.That(pages.EnsureReady("p", "one more", process, Tell), Is.Null);
        Assert.That(await pages.EnsureReady("p", "page0", process, Tell)!, Is.Null, "a kept page is still served");

        Assert.That(pages.Close(), Has.Count.EqualTo(WebChannelPages.Capacity));
        Assert.That(pages.EnsureReady("p", "page0", process, Tell), Is.Null);
    }
}
