using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using static PluginIpc.AspNetCore.Tests.WebChannel.WebChannelApp;

namespace PluginIpc.AspNetCore.Tests.WebChannel;

/// <summary>A repeated requestId within the window gets the first answer, over HTTP and across WebSocket connections.</summary>
[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class WebChannelIdempotencyTests
{
    [Test]
    public async Task A_repeated_requestId_over_HTTP_gets_the_first_answer_without_running_again()
    {
        await using WebChannelApp app = await WebChannelApp.StartAsync();
        string id = NewId();
        JsonElement first = await app.PostAsync(Envelope(id, "count", "wc"));
        JsonElement again = await app.PostAsync(Envelope(id, "count", "wc"));
        Assert.That(again.GetRawText(), Is.EqualTo(first.GetRawText()), "the very same answer, timestamp included");

        JsonElement other = await app.PostAsync(Envelope(NewId(), "count", "wc"));
        Assert.That(other.GetProperty("data").GetInt32(), Is.EqualTo(first.GetProperty("data").GetInt32() + 1), "count ran once for the repeated id");

        // A data error the plugin raises is an answer too: raised once, given back.
        string failing = NewId();
        string raise = Envelope(failing, "raise", "wc", data: """{"code":"E1002","message":"stale"}""");
        JsonElement error = await app.PostAsync(raise);
        Assert.That((await app.PostAsync(raise)).GetRawText(), Is.EqualTo(error.GetRawText()));
    }

    [Test]
    public async Task A_repeat_on_another_connection_while_the_first_runs_waits_for_its_answer()
    {
        await using WebChannelApp app = await WebChannelApp.StartAsync();
        using ClientWebSocket a = await app.ConnectAsync();
        using ClientWebSocket b = await app.ConnectAsync();
        string id = NewId();
        await a.SendAsync(Envelope(id, "gate.wait", "wc"));
        await app.SeenAsync("wc", 1); // onInit was sent before the call: the call is under way
        await b.SendAsync(Envelope(id, "gate.wait", "wc"));

        AssertSuccess(await app.PostAsync(Envelope(NewId(), "gate.open", "wc")));
        JsonElement fromA = (await a.ReceiveJsonAsync())!.Value;
        JsonElement fromB = (await b.ReceiveJsonAsync())!.Value;
        AssertSuccess(fromA);
        Assert.That(fromA.GetProperty("data").GetInt32(), Is.EqualTo(1), "gate.wait ran once");
        Assert.That(fromB.GetRawText(), Is.EqualTo(fromA.GetRawText()));

        // Over HTTP too, afterwards.
        Assert.That((await app.PostAsync(Envelope(id, "gate.wait", "wc"))).GetRawText(), Is.EqualTo(fromA.GetRawText()));
    }

    [Test]
    public async Task Busy_and_cancelled_answers_are_not_kept_a_retry_runs()
    {
        await using WebChannelApp app = await WebChannelApp.StartAsync(o => o.MaxCallsInFlightPerConnection = 1);
        using ClientWebSocket socket = await app.ConnectAsync();
        await socket.SendAsync(Envelope(NewId(), "gate.wait", "wc"));
        string id = NewId();
        AssertError(await RequestAsync(socket, Envelope(id, "count", "wc")), "E3002");
        AssertSuccess(await app.PostAsync(Envelope(NewId(), "gate.open", "wc")));
        AssertSuccess((await socket.ReceiveJsonAsync())!.Value);
        JsonElement retry = await RequestAsync(socket, Envelope(id, "count", "wc"));
        AssertSuccess(retry);
        Assert.That(retry.GetProperty("data").GetInt32(), Is.EqualTo(1));

        // Nor a cancelled one (E3003): the retry runs.
        string cancelled = NewId();
        AssertError(await app.PostAsync(Envelope(cancelled, "raise", "wc", data: """{"code":"CANCELLED","message":"gave up"}""")), "E3003");
        JsonElement rerun = await app.PostAsync(Envelope(cancelled, "count", "wc"));
        AssertSuccess(rerun);
        Assert.That(rerun.GetProperty("data").GetInt32(), Is.EqualTo(2));
    }

    [Test]
    public async Task A_zero_window_turns_it_off()
    {
        await using WebChannelApp app = await WebChannelApp.StartAsync(o => o.RequestIdWindow = TimeSpan.Zero);
        string id = NewId();
        int first = (await app.PostAsync(Envelope(id, "count", "wc"))).GetProperty("data").GetInt32();
        Assert.That((await app.PostAsync(Envelope(id, "count", "wc"))).GetProperty("data").GetInt32(), Is.EqualTo(first + 1));
    }

    [Test]
    public async Task The_cache_forgets_the_oldest_ids_beyond_its_capacity_and_ids_older_than_the_window()
    {
        var time = new ManualTime();
        var cache = new PluginIpc.AspNetCore.WebChannel.RequestIdCache(TimeSpan.FromMinutes(5), time, capacity: 3);
        int runs = 0;
        Task<(byte[], bool)> Run()
        {
            runs++;
            return Task.FromResult((new[] { (byte)runs }, true));
        }

        foreach (string id in new[] { "a", "b", "c" })
        {
            await cache.RunAsync("u", id, "f", Run, CancellationToken.None);
        }

        Assert.That((await cache.RunAsync("u", "a", "f", Run, CancellationToken.None))![0], Is.EqualTo(1), "a is remembered");
        Assert.That((await cache.RunAsync("other user", "a", "f", Run, CancellationToken.None))![0], Is.EqualTo(4), "per user");
        Assert.That(cache.Count, Is.EqualTo(3));
        Assert.That((await cache.RunAsync("u", "a", "f", Run, CancellationToken.None))![0], Is.EqualTo(5), "a (the oldest) was forgotten for the new one");

        time.Advance(TimeSpan.FromMinutes(5));
        Assert.That((await cache.RunAsync("u", "a", "f", Run, CancellationToken.None))![0], Is.EqualTo(6), "older than the window");
        Assert.That(cache.Count, Is.EqualTo(1));
    }

    [Test]
    public async Task The_same_requestId_with_another_request_is_refused_not_answered_with_the_first_answer()
    {
        // Two windows of one (anonymous) user that both number their requests from 1.
        await using WebChannelApp app = await WebChannelApp.StartAsync();
        string id = NewId();
        JsonElement first = await app.PostAsync(Envelope(id, "echo", "wc", "window-1", """{"text":"mine"}"""));
        AssertSuccess(first);

        foreach (string other in new[]
        {
            Envelope(id, "echo", "wc", "window-1", """{"text":"yours"}"""),
            Envelope(id, "echo", "wc", "window-2", """{"text":"mine"}"""),
            Envelope(id, "count", "wc", "window-1", """{"text":"mine"}"""),
            Envelope(id, "echo", "wc2", "window-1", """{"text":"mine"}"""),
        })
        {
            JsonElement refused = await app.PostAsync(other);
            JsonElement error = AssertError(refused, "E0002");
            Assert.That(error.GetProperty("message").GetString(), Does.Contain("requestId reused with another request"));
            Assert.That(error.GetProperty("details").GetProperty("field").GetString(), Is.EqualTo("requestId"));
        }

        Assert.That((await app.PostAsync(Envelope(id, "echo", "wc", "window-1", """{"text":"mine"}"""))).GetRawText(), Is.EqualTo(first.GetRawText()), "the same request still gets its answer");
    }

    [Test]
    public async Task A_transient_failure_is_not_kept_a_retry_runs()
    {
        await using WebChannelApp app = await WebChannelApp.StartAsync(o => o.CallTimeout = TimeSpan.FromSeconds(1));

        // gate.wait times out (E3001) while the gate is shut; once it is open the same request, retried, runs and succeeds.
        string id = NewId();
        AssertError(await app.PostAsync(Envelope(id, "gate.wait", "wc")), "E3001");
        AssertSuccess(await app.PostAsync(Envelope(NewId(), "gate.open", "wc")));
        JsonElement retry = await app.PostAsync(Envelope(id, "gate.wait", "wc"));
        AssertSuccess(retry);
        Assert.That(retry.GetProperty("data").GetInt32(), Is.EqualTo(2), "the retry ran gate.wait a second time");
        Assert.That((await app.PostAsync(Envelope(id, "gate.wait", "wc"))).GetRawText(), Is.EqualTo(retry.GetRawText()), "the success is kept");
    }

    [Test]
    public async Task A_waiter_whose_first_answer_is_not_kept_runs_the_request_itself()
    {
        var cache = new PluginIpc.AspNetCore.WebChannel.RequestIdCache(TimeSpan.FromMinutes(5), new ManualTime());
        var release = new TaskCompletionSource();
        int runs = 0;
        Task<byte[]?> first = cache.RunAsync("u", "a", "f", async () =>
        {
            Interlocked.Increment(ref runs);
            await release.Task;
            return ("E3003"u8.ToArray(), false); // connection A closed: not kept
        }, CancellationToken.None);
        Task<byte[]?> second = cache.RunAsync("u", "a", "f", () =>
        {
            Interlocked.Increment(ref runs);
            return Task.FromResult(("ok"u8.ToArray(), true));
        }, CancellationToken.None);
        Assert.That(second.IsCompleted, Is.False, "the repeat waits for the first");
        release.SetResult();
        Assert.That(System.Text.Encoding.UTF8.GetString((await first)!), Is.EqualTo("E3003"));
        Assert.That(System.Text.Encoding.UTF8.GetString((await second.WaitAsync(GatewayApp.Wait))!), Is.EqualTo("ok"), "B ran it, not got A's failure");
        Assert.That(runs, Is.EqualTo(2));
        Assert.That(System.Text.Encoding.UTF8.GetString((await cache.RunAsync("u", "a", "f", () => Task.FromResult(("again"u8.ToArray(), true)), CancellationToken.None))!), Is.EqualTo("ok"), "B's success is kept");
        Assert.That(await cache.RunAsync("u", "a", "other", () => Task.FromResult(("x"u8.ToArray(), true)), CancellationToken.None), Is.Null, "another request under the id");
    }

    [Test]
    public async Task The_cache_is_bounded_in_bytes_and_does_not_keep_large_answers()
    {
        var cache = new PluginIpc.AspNetCore.WebChannel.RequestIdCache(TimeSpan.FromMinutes(5), new ManualTime(), capacity: 100, capacityBytes: 250, maxKeptAnswerBytes: 100);
        int runs = 0;
        Func<Task<(byte[], bool)>> Run(int size) => () => Task.FromResult((new byte[size], Interlocked.Increment(ref runs) > 0));

        await cache.RunAsync("u", "large", "f", Run(101), CancellationToken.None);
        await cache.RunAsync("u", "large", "f", Run(101), CancellationToken.None);
        Assert.That(runs, Is.EqualTo(2), "an answer over the largest kept runs again");
        Assert.That(cache.Count, Is.Zero);

        foreach (string id in new[] { "a", "b", "c" })
        {
            await cache.RunAsync("u", id, "f", Run(100), CancellationToken.None);
        }

        Assert.That(cache.Bytes, Is.EqualTo(200), "a was forgotten for c: at most 250 bytes");
        Assert.That(cache.Count, Is.EqualTo(2));
        await cache.RunAsync("u", "a", "f", Run(1), CancellationToken.None);
        Assert.That(runs, Is.EqualTo(6), "a runs again");
    }

    private sealed class ManualTime : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }
}
