using System.Text;
using MessagePack;
using PluginIpc.Tests.Channel;

namespace PluginIpc.Tests.Serialization;

/// <summary>Typed calls without an interface: objects in and out over a channel pair, each framer with each serializer.</summary>
[TestFixture("text", "msgpack")]
[TestFixture("msgpack", "msgpack")]
[TestFixture("text", "json")]
[TestFixture("msgpack", "json")]
[TestFixture("msgpack", "json-context")]
public sealed class TypedCallTests(string framer, string serializer)
{
    [Test, CancelAfter(10_000)]
    public async Task CallAsync_PlainRecord_GoesBothWaysAsAnObject(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        pair.Plugin.Handle<Point, Point>("move", (point, _) => ValueTask.FromResult(point with { X = point.X + 1, Y = point.Y - 1 }));
        pair.Host.Handle<Route, int>("count", (route, _) => ValueTask.FromResult(route.Stops.Count));
        pair.Start();

        Point moved = await pair.Host.CallAsync<Point, Point>("move", new Point(1, 2), cancellationToken);
        int stops = await pair.Plugin.CallAsync<Route, int>("count", new Route { Name = "r", Stops = [new(0, 0), new(1, 1), new(2, 2)] }, cancellationToken);

        Assert.That(moved, Is.EqualTo(new Point(2, 1)));
        Assert.That(stops, Is.EqualTo(3));
    }

    [Test, CancelAfter(10_000)]
    public async Task CallAsync_TypeWithItsOwnKeys_KeepsThem(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        pair.Plugin.Handle<Keyed, Keyed>("relabel", (keyed, _) => ValueTask.FromResult(new Keyed { Id = keyed.Id, Label = keyed.Label + "!" }));
        pair.Start();

        Keyed answer = await pair.Host.CallAsync<Keyed, Keyed>("relabel", new Keyed { Id = 7, Label = "seven" }, cancellationToken);

        Assert.That((answer.Id, answer.Label), Is.EqualTo((7, "seven!")));
    }

    [Test, CancelAfter(10_000)]
    public async Task HandleWithoutResult_TypedRequest_IsAnsweredEmpty(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        var received = new TaskCompletionSource<Point>(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Plugin.Handle<Point>("reset", (point, _) =>
        {
            received.TrySetResult(point);
            return ValueTask.CompletedTask;
        });
        pair.Start();

        ReadOnlyMemory<byte> answer = await pair.Host.CallAsync("reset", Serialize(new Point(5, 6)), cancellationToken);

        Assert.That(answer.Length, Is.Zero);
        Assert.That(await received.Task.WaitAsync(cancellationToken), Is.EqualTo(new Point(5, 6)));
    }

    [Test, CancelAfter(10_000)]
    public async Task NotifyAsync_ByteArray_StaysBytes_NotATypedValue(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        var received = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Plugin.Handle("raw", (chunk, _, _) =>
        {
            received.TrySetResult(chunk.Buffer.ToArray());
            return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
        });
        pair.Start();

        await pair.Host.NotifyAsync("raw", new byte[] { 1, 2, 3 }, cancellationToken);

        Assert.That(await received.Task.WaitAsync(cancellationToken), Is.EqualTo(new byte[] { 1, 2, 3 }), "typed calls must never capture a byte[] argument");
    }

    [Test, CancelAfter(10_000)]
    public async Task Handle_RequestThatIsNotItsType_IsAnsweredInvalidRequestNamingCommandAndType(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        pair.Plugin.Handle<Point, Point>("move", (point, _) => ValueTask.FromResult(point));
        pair.Start();

        var error = await Failure.ThrowsAsync<RemoteException>(() => pair.Host.CallAsync("move", Encoding.UTF8.GetBytes("\u00ff not a point"), cancellationToken));

        Assert.That(error!.Code, Is.EqualTo(ErrorCodes.InvalidRequest));
        Assert.That(error.Message, Does.Contain("'move' expects a Point in the " + SerializerName));
    }

    [Test, CancelAfter(10_000)]
    public async Task CallAsync_AnswerThatIsNotTheExpectedType_ThrowsProtocolExceptionNamingPeerAndCommand(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        pair.Plugin.Handle("bytes", (_, _, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(Encoding.UTF8.GetBytes("\u00ff garbage")));
        pair.Start();

        var error = await Failure.ThrowsAsync<ProtocolException>(() => pair.Host.CallAsync<Point, Point>("bytes", new Point(0, 0), cancellationToken));

        Assert.That(error!.Message, Does.Contain("The answer to 'bytes' on host").And.Contain("is not a Point in the " + SerializerName));
    }

    [Test, CancelAfter(10_000)]
    public async Task CallAsync_AnswersThatAreNotTheType_NameTheirOwnCommandAndPeer(CancellationToken cancellationToken)
    {
        // The readers of answers are kept per command and peer: a call must never report another call's command or peer.
        await using ChannelPair pair = CreatePair();
        pair.Plugin.Handle<Point, Point>("move", (point, _) => ValueTask.FromResult(point));
        pair.Plugin.Handle("bytes", (_, _, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(Encoding.UTF8.GetBytes("\u00ff garbage")));
        pair.Host.Handle("other", (_, _, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(Encoding.UTF8.GetBytes("\u00ff garbage")));
        pair.Start();

        Assert.That(await pair.Host.CallAsync<Point, Point>("move", new Point(1, 1), cancellationToken), Is.EqualTo(new Point(1, 1)));
        var fromHost = await Failure.ThrowsAsync<ProtocolException>(() => pair.Host.CallAsync<Point, Point>("bytes", new Point(0, 0), cancellationToken));
        var fromPlugin = await Failure.ThrowsAsync<ProtocolException>(() => pair.Plugin.CallAsync<Point, Point>("other", new Point(0, 0), cancellationToken));

        Assert.That(fromHost!.Message, Does.Contain("The answer to 'bytes' on host"));
        Assert.That(fromPlugin!.Message, Does.Contain("The answer to 'other' on plugin"));
    }

    [Test]
    public void CallAsync_AllocatesLittleMoreThanTheByteCall()
    {
        // What a typed call allocates until its answer comes: the request's bytes besides what a byte call allocates; no
        // state machine of its own (that alone is about 150 bytes). Measured on a peer that allocates nothing itself.
        var peer = new PendingPeer(Serializer);
        byte[] bytes = Serialize(new Point(1, 2)).ToArray();
        var point = new Point(1, 2);
        var calls = new List<Task>();

        long typed = long.MaxValue;
        long untyped = long.MaxValue;
        for (int i = 0; i < 20; i++)
        {
            long start = GC.GetAllocatedBytesForCurrentThread();
            Task<ReadOnlyMemory<byte>> byteCall = peer.CallAsync("echo", bytes);
            long middle = GC.GetAllocatedBytesForCurrentThread();
            Task<Point> typedCall = peer.CallAsync<Point, Point>("move", point);
            long end = GC.GetAllocatedBytesForCurrentThread();
            calls.Add(byteCall);
            calls.Add(typedCall);
            untyped = Math.Min(untyped, middle - start);
            typed = Math.Min(typed, end - middle);
        }

        Assert.That(calls, Has.All.Matches<Task>(call => !call.IsCompleted), "no answer ever comes");
        // The request's array is 32-40 B; System.Text.Json adds 24 B of its own to write a value.
        Assert.That(typed, Is.LessThanOrEqualTo(untyped + 80), $"a typed call allocated {typed} B, the byte call {untyped} B");
    }

    [Test, CancelAfter(10_000)]
    public async Task Handle_HandlerThrowsRemoteException_CallerGetsItsCode(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        pair.Plugin.Handle<Point, Point>("refuse", (_, _) => throw new RemoteException("OUT_OF_BOUNDS", "no"));
        pair.Start();

        var error = await Failure.ThrowsAsync<RemoteException>(() => pair.Host.CallAsync<Point, Point>("refuse", new Point(0, 0), cancellationToken));

        Assert.That(error!.Code, Is.EqualTo("OUT_OF_BOUNDS"));
    }

    [Test, CancelAfter(20_000)]
    public async Task CallAsync_ManyInFlightFromSeveralThreads_EveryAnswerIsItsOwn(CancellationToken cancellationToken)
    {
        // Request and answer bodies are pooled and handed back once framed: one handed back too early would carry another call's value.
        await using ChannelPair pair = CreatePair();
        pair.Plugin.Handle<Point, Point>("move", async (point, _) =>
        {
            if (point.X % 2 == 0)
            {
                await Task.Yield(); // answered from another thread than the one that read the request
            }

            return point with { X = point.X + 1, Y = point.Y - 1 };
        });
        pair.Start();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(
            async () =>
            {
                for (int round = 0; round < 50; round++)
                {
                    Task<Point>[] calls = [.. Enumerable.Range(0, 16).Select(i => pair.Host.CallAsync<Point, Point>("move", new Point((worker * 10_000) + (round * 100) + i, -i), cancellationToken))];
                    Point[] answers = await Task.WhenAll(calls);
                    for (int i = 0; i < answers.Length; i++)
                    {
                        Assert.That(answers[i], Is.EqualTo(new Point((worker * 10_000) + (round * 100) + i + 1, -i - 1)));
                    }
                }
            },
            cancellationToken)));
    }

    [Test, CancelAfter(20_000)]
    public async Task CallAsync_RequestsWaitingForRoomInTheWriter_EachGoesOutWithItsOwnBody(CancellationToken cancellationToken)
    {
        // The other side reads nothing yet, so the writer is over its cap and every request waits for room, holding its body.
        await using ChannelPair pair = CreatePair();
        pair.Plugin.Handle<Point, Point>("move", (point, _) => ValueTask.FromResult(point with { X = point.X + 1 }));
        pair.Host.Start();
        byte[] bulk = new byte[3 * 1024 * 1024];
        bulk.AsSpan().Fill((byte)'a');
        ValueTask first = pair.Host.NotifyAsync("bulk", bulk, cancellationToken);
        await pair.Host.NotifyAsync("bulk", bulk, cancellationToken);
        await pair.Host.NotifyAsync("bulk", bulk, cancellationToken);

        Task<Point>[] calls = [.. Enumerable.Range(0, 20).Select(i => pair.Host.CallAsync<Point, Point>("move", new Point(i, i), cancellationToken))];
        pair.Plugin.Start();
        await first;
        Point[] answers = await Task.WhenAll(calls);

        Assert.That(answers, Is.EqualTo(Enumerable.Range(0, 20).Select(i => new Point(i + 1, i)).ToArray()));
    }

    private ReadOnlyMemory<byte> Serialize<T>(T value)
    {
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        (Serializer ?? new MessagePackPluginSerializer()).Serialize(writer, value);
        return writer.WrittenMemory;
    }

    private IPluginSerializer? Serializer => serializer switch
    {
        "msgpack" => null, // the default
        "json" => new JsonPluginSerializer(),
        _ => new JsonPluginSerializer(TypedTestJsonContext.Default),
    };

    private string SerializerName => serializer.StartsWith("json", StringComparison.Ordinal) ? "json" : "msgpack";

    private ChannelPair CreatePair()
    {
        IPluginSerializer? chosen = Serializer;
        return ChannelPair.Create(framer, Transports.Memory, o => o.Serializer = chosen, o => o.Serializer = chosen);
    }
}
