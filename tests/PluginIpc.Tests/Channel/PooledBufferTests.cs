namespace PluginIpc.Tests.Channel;

/// <summary>Large buffers in rented arrays: <see cref="ChunkPeerExtensions.CallPooledAsync(IChunkPeer, string, ReadOnlyMemory{byte}, CancellationToken)"/> and <see cref="PooledBuffer.LendTo"/>.</summary>
[TestFixtureSource(typeof(Framers), nameof(Framers.Names))]
public sealed class PooledBufferTests(string framer)
{
    private const int Large = 64 * 1024;

    [Test, CancelAfter(30_000)]
    public async Task CallPooledAsync_LargeEchoesOverPipes_AllocateNoArrayPerCallOnEitherSide(CancellationToken cancellationToken)
    {
        await using Pair pair = Pair.Start(framer, lend: true);
        byte[] payload = new byte[Large];
        for (int i = 0; i < 50; i++)
        {
            await EchoOnceAsync(pair.Host, payload, i, cancellationToken); // warm-up: the pool fills, the code compiles
        }

        // Both channels live in this process: a new array per echo on either side would be 64 KiB per call.
        const int Calls = 100;
        long before = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < Calls; i++)
        {
            await EchoOnceAsync(pair.Host, payload, i, cancellationToken);
        }

        long perCall = (GC.GetTotalAllocatedBytes(precise: true) - before) / Calls;
        TestContext.Out.WriteLine($"{perCall} B per echo");
        // Process-wide, so other tests' leftover work may count; a side that allocates an array per echo adds 64 KiB.
        Assert.That(perCall, Is.LessThan(32 * 1024), "bytes allocated per 64 KiB echo, both sides");
    }

    [Test, CancelAfter(30_000)]
    public async Task CallPooledAsync_WithoutLendingHandler_StillAnswersAndOnlyTheCallerPools(CancellationToken cancellationToken)
    {
        await using Pair pair = Pair.Start(framer, lend: false);
        byte[] payload = new byte[Large];
        for (int i = 0; i < 50; i++)
        {
            await EchoOnceAsync(pair.Host, payload, i, cancellationToken);
        }

        const int Calls = 100;
        long before = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < Calls; i++)
        {
            await EchoOnceAsync(pair.Host, payload, i, cancellationToken);
        }

        long perCall = (GC.GetTotalAllocatedBytes(precise: true) - before) / Calls;
        Assert.That(perCall, Is.InRange(Large, Large + (32 * 1024)), "the handler's request gets an array of its own (64 KiB); the answer does not (another 64 KiB)");
    }

    [Test, CancelAfter(30_000)]
    public async Task CallPooledAsync_ManyConcurrentLargeCalls_EachGetsItsOwnAnswer(CancellationToken cancellationToken)
    {
        // Rented arrays go round between calls: an array given back too early would show another call's bytes.
        await using Pair pair = Pair.Start(framer, lend: true);
        Task[] callers = Enumerable.Range(0, 8).Select(caller => Task.Run(
            async () =>
            {
                byte[] payload = new byte[Large + caller];
                for (int i = 0; i < 40; i++)
                {
                    await EchoOnceAsync(pair.Host, payload, (caller * 1000) + i, cancellationToken);
                }
            },
            cancellationToken)).ToArray();

        await Task.WhenAll(callers).WaitAsync(cancellationToken);
    }

    [Test, CancelAfter(30_000)]
    public async Task HandlerThatKeepsItsBuffers_IsNeverLentOne(CancellationToken cancellationToken)
    {
        // A plain handler may keep what it gets: the arrays it kept must not be reused by the lending handler's requests.
        await using Pair pair = Pair.Start(framer, lend: true);
        var kept = new List<ReadOnlyMemory<byte>>();
        pair.Plugin.Handle("keep", (chunk, _, _) =>
        {
            lock (kept)
            {
                kept.Add(chunk.Buffer);
            }

            return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
        });
        byte[] payload = new byte[Large];
        for (int i = 0; i < 20; i++)
        {
            Fill(payload, i);
            await pair.Host.CallAsync("keep", payload, cancellationToken);
            await EchoOnceAsync(pair.Host, payload, 1000 + i, cancellationToken);
        }

        for (int i = 0; i < kept.Count; i++)
        {
            Assert.That(kept[i].Span.IndexOfAnyExcept((byte)i), Is.EqualTo(-1), $"kept buffer {i} was overwritten");
        }
    }

    [Test, CancelAfter(10_000)]
    public async Task PooledBuffer_SmallAnswer_IsAnOrdinaryArray_AndDisposedBufferRefusesItsMemory(CancellationToken cancellationToken)
    {
        await using Pair pair = Pair.Start(framer, lend: true);

        PooledBuffer answer = await pair.Host.CallPooledAsync("echo", "small"u8.ToArray(), cancellationToken);
        Assert.That(answer.Memory.ToArray(), Is.EqualTo("small"u8.ToArray()));
        answer.Dispose();
        answer.Dispose();

        Assert.That(() => answer.Memory, Throws.InstanceOf<ObjectDisposedException>());
    }

    [Test, CancelAfter(10_000)]
    public async Task CallPooledAsync_ErrorAnswer_ThrowsRemoteException(CancellationToken cancellationToken)
    {
        await using Pair pair = Pair.Start(framer, lend: true);
        pair.Plugin.Handle("fail", PooledBuffer.LendTo(static (_, _, _) => throw new RemoteException("TEST_FAILURE", "refused")));

        var failure = Assert.ThrowsAsync<RemoteException>(async () => await pair.Host.CallPooledAsync("fail", new byte[Large], cancellationToken));
        using PooledBuffer after = await pair.Host.CallPooledAsync("echo", new byte[Large], cancellationToken);

        Assert.That(failure!.Code, Is.EqualTo("TEST_FAILURE"));
        Assert.That(after.Memory.Length, Is.EqualTo(Large), "the channel goes on");
    }

    [Test, CancelAfter(30_000)]
    public async Task LendingHandler_ForwardsItsBufferInACallThatEndsBeforeItIsWritten_TheArrayIsNotReusedMeanwhile(
        [Values(0, 1000)] int sliceLength,
        CancellationToken cancellationToken)
    {
        // B's handler forwards its request's memory to C through B2, whose writer is over its cap (C does not read yet):
        // the forwarded request waits for room in the writer, which holds the memory, after the call and the handler ended.
        await using Pair pair = Pair.Start(framer, lend: true);
        var toC = new System.IO.Pipelines.Pipe(new System.IO.Pipelines.PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024));
        var toB2 = new System.IO.Pipelines.Pipe();
        await using var b2 = new PluginIpc.Channel(new TestPipes.DuplexPipe(toB2.Reader, toC.Writer), Framers.Create(framer));
        await using var c = new PluginIpc.Channel(new TestPipes.DuplexPipe(toC.Reader, toB2.Writer), Framers.Create(framer));
        b2.Start();
        var filling = new List<Task>();
        for (int i = 0; i < 6; i++)
        {
            filling.Add(b2.CallAsync("big", new byte[1024 * 1024], Timeout.InfiniteTimeSpan, cancellationToken));
        }

        ReadOnlyMemory<byte> lent = default;
        pair.Plugin.Handle("forward", PooledBuffer.LendTo(async (chunk, _, _) =>
        {
            lent = chunk.Buffer;
            ReadOnlyMemory<byte> sent = sliceLength == 0 ? chunk.Buffer : chunk.Buffer[..sliceLength]; // 0: the whole buffer
            Assert.That(async () => await b2.CallAsync("forwarded", sent, TimeSpan.FromMilliseconds(200), CancellationToken.None), Throws.InstanceOf<TimeoutException>());
            return ReadOnlyMemory<byte>.Empty;
        }));
        byte[] payload = new byte[Large];
        payload.AsSpan().Fill(0x5A);

        await pair.Host.CallAsync("forward", payload, cancellationToken);
        bool rentedArray = System.Runtime.InteropServices.MemoryMarshal.TryGetMemoryManager(lent, out RentedBuffer? rented);

        var forwarded = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        c.Handle("big", static (_, _, _) => ValueTask.FromResult(ReadOnlyMemory<byte>.Empty));
        c.Handle("forwarded", (chunk, _, _) =>
        {
            forwarded.TrySetResult(chunk.Buffer.ToArray());
            return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
        });
        c.Start();
        byte[] received = await forwarded.Task.WaitAsync(cancellationToken);
        await Task.WhenAll(filling).WaitAsync(cancellationToken);
        bool returnedWhileHeld = rented?.IsReturned ?? false; // by now the handler's answer is surely framed: kept, or returned

        Assert.That(rentedArray, Is.True, "the request came in a rented array");
        Assert.That(returnedWhileHeld, Is.False, "the array went back to the pool while the writer still held the forwarded request's memory");
        Assert.That(received, Has.Length.EqualTo(sliceLength == 0 ? Large : sliceLength));
        Assert.That(received.AsSpan().IndexOfAnyExcept((byte)0x5A), Is.EqualTo(-1), "the forwarded request carries the bytes it was sent with");
    }

    /// <summary>Echoes <paramref name="payload"/> filled with one byte made from <paramref name="mark"/>, and checks every byte of the answer.</summary>
    private static async Task EchoOnceAsync(PluginIpc.Channel host, byte[] payload, int mark, CancellationToken cancellationToken)
    {
        Fill(payload, mark);
        using PooledBuffer answer = await host.CallPooledAsync("echo", payload, cancellationToken);
        Assert.That(answer.Memory.Length, Is.EqualTo(payload.Length));
        int wrong = answer.Memory.Span.IndexOfAnyExcept((byte)mark);
        Assert.That(wrong, Is.EqualTo(-1), $"echo {mark}: byte {wrong} is another call's");
    }

    private static void Fill(byte[] payload, int mark) => payload.AsSpan().Fill((byte)mark);

    /// <summary>A host and a plugin channel over OS pipes, where large buffers are read straight into their arrays; the plugin echoes.</summary>
    private sealed class Pair(PluginIpc.Channel host, PluginIpc.Channel plugin) : IAsyncDisposable
    {
        public PluginIpc.Channel Host { get; } = host;

        public PluginIpc.Channel Plugin { get; } = plugin;

        public static Pair Start(string framer, bool lend)
        {
            var (hostInput, hostOutput, pluginInput, pluginOutput) = TestPipes.CreateOsPipes();
            var host = new PluginIpc.Channel(hostInput, hostOutput, Framers.Create(framer));
            var plugin = new PluginIpc.Channel(pluginInput, pluginOutput, Framers.Create(framer));
            ChunkHandler echo = static (chunk, _, _) => ValueTask.FromResult(chunk.Buffer);
            plugin.Handle("echo", lend ? PooledBuffer.LendTo(echo) : echo);
            host.Start();
            plugin.Start();
            return new Pair(host, plugin);
        }

        public async ValueTask DisposeAsync()
        {
            await Host.DisposeAsync();
            await Plugin.DisposeAsync();
        }
    }
}
