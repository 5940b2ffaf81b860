using System.Text;
using PluginIpc.Contracts;
using PluginIpc.TestContracts;
using PluginIpc.Tests.Channel;
using Samples;
using TestPoint = Samples.Point;

namespace PluginIpc.Tests.TypedContracts;

/// <summary>
/// <see cref="PluginContractAttribute"/> interfaces between two channels in memory, each framer with each serializer: the
/// generated proxies and dispatchers, errors and cancellation both ways, progress, and streams with their flow control.
/// </summary>
[TestFixture("text", "msgpack")]
[TestFixture("msgpack", "msgpack")]
[TestFixture("text", "json")]
[TestFixture("msgpack", "json-context")]
public sealed class ContractCallTests(string framer, string serializer)
{
    private FakeClock? _clock;

    [Test, CancelAfter(20_000)]
    public async Task EveryGreeterMember_CallsTheOtherSidesImplementation(CancellationToken cancellationToken)
    {
        var greeter = new Greeter("plugin");
        await using ChannelPair pair = CreatePair();
        pair.Plugin.AddTarget<IGreeter>(greeter);
        pair.Start();
        IGreeter proxy = pair.Host.GetProxy<IGreeter>();

        string hello = await proxy.HelloAsync("host", cancellationToken);
        TestPoint moved = await proxy.MoveAsync(new TestPoint(1, 2), 10, 20, cancellationToken);
        var counted = new List<int>();
        await foreach (int i in proxy.CountAsync(1, 1000, cancellationToken))
        {
            counted.Add(i);
        }

        var reports = new RecordingProgress<int>();
        int sum = await proxy.SumWithProgressAsync([1, 2, 3, 4], reports, cancellationToken);
        string second = await proxy.HelloAsync("host", cancellationToken);
        await proxy.ResetAsync(cancellationToken);
        string afterReset = await proxy.HelloAsync("host", cancellationToken);

        Assert.That(hello, Is.EqualTo("Hello, host! (plugin, greeting #1)"));
        Assert.That((second, afterReset), Is.EqualTo(("Hello, host! (plugin, greeting #2)", "Hello, host! (plugin, greeting #1)")), "ResetAsync ran");
        Assert.That(moved, Is.EqualTo(new TestPoint(11, 22)));
        Assert.That(counted, Is.EqualTo(Enumerable.Range(1, 1000)), "every item, in order");
        Assert.That(sum, Is.EqualTo(10));
        Assert.That(reports.Values, Is.EqualTo(new[] { 1, 3, 6, 10 }), "every report, in order, before the result");
    }

    [Test, CancelAfter(20_000)]
    public async Task Progress_ManyReports_AllArriveBeforeTheResult_AndTheCallerForgetsTheProgressObject(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        pair.Plugin.AddTarget<IGreeter>(new Greeter("plugin"));
        pair.Start();
        IGreeter proxy = pair.Host.GetProxy<IGreeter>();
        int[] values = Enumerable.Range(1, 2000).ToArray();

        for (int round = 0; round < 5; round++)
        {
            var reports = new RecordingProgress<int>();
            await proxy.SumWithProgressAsync(values, reports, cancellationToken);
            Assert.That(reports.Values, Has.Count.EqualTo(values.Length), $"round {round}: a report came after the result, or was lost");
        }

        Assert.That(ContractSession.For(pair.Host).ProgressCount, Is.Zero, "an ended call's progress object is not kept");
    }

    [Test, CancelAfter(20_000)]
    public async Task Progress_ReportsAfterTheCallEnded_AreDropped(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        IProbe proxy = StartProbe(pair);
        var reports = new RecordingProgress<int>();

        int answer = await proxy.ReportAfterEndAsync(reports, cancellationToken);
        await proxy.LateReportAsync(cancellationToken);

        // A late report the callee's side lets through anyway (tokens 1 to 3 cover this session's calls) must be dropped here too.
        IPluginSerializer wire = Wire;
        for (long token = 1; token <= 3; token++)
        {
            var late = new System.Buffers.ArrayBufferWriter<byte>();
            wire.WriteArrayStart(late, 2);
            wire.Serialize(late, token);
            wire.WriteArraySeparator(late);
            wire.Serialize(late, 99);
            wire.WriteArrayEnd(late);
            await pair.Plugin.NotifyAsync(Commands.Progress, late.WrittenMemory, cancellationToken);
        }

        await proxy.ProcessIdAsync(cancellationToken); // a round trip: the reports sent before its answer were read first
        Assert.That(answer, Is.EqualTo(1));
        Assert.That(reports.Values, Is.EqualTo(new[] { 1 }));
    }

    [Test, CancelAfter(20_000)]
    public async Task Failures_ComeBackWithTheirCode_AndCancellationAsCancellation(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        IProbe proxy = StartProbe(pair);

        var failed = await Failure.ThrowsAsync<RemoteException>(() => proxy.FailAsync("OUT_OF_STOCK", cancellationToken));
        var crashed = await Failure.ThrowsAsync<RemoteException>(() => proxy.CrashAsync(cancellationToken));
        var gaveUp = await Failure.ThrowsAsync<OperationCanceledException>(() => proxy.GiveUpAsync(cancellationToken));

        Assert.That((failed!.Code, failed.Message, failed.Details?.GetProperty("answer").GetInt32()), Is.EqualTo(("OUT_OF_STOCK", "failed with OUT_OF_STOCK on purpose", 42)));
        Assert.That((crashed!.Code, crashed.Message), Is.EqualTo((ErrorCodes.HandlerError, "the probe crashed on purpose")));
        Assert.That(gaveUp!.Message, Does.Contain("gave up on its own"), "the callee's own OperationCanceledException comes back as one");
        Assert.That(gaveUp.InnerException, Is.TypeOf<RemoteException>().With.Property(nameof(RemoteException.Code)).EqualTo(ErrorCodes.Cancelled));
    }

    [Test, CancelAfter(20_000)]
    public async Task Cancel_TheCallersToken_CancelsTheCalleesToken(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        var target = new CancellableProbe();
        pair.Plugin.AddTarget<IProbe>(target);
        pair.Start();
        IProbe proxy = pair.Host.GetProxy<IProbe>();
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var started = new RecordingProgress<string>();

        Task<int> call = proxy.WaitForCancelAsync(started, cancellation.Token);
        await target.Waiting.Task.WaitAsync(cancellationToken);
        await cancellation.CancelAsync();

        Assert.That(async () => await call, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(await target.Cancelled.Task.WaitAsync(cancellationToken), Is.True, "the callee's token fired");
    }

    [Test, CancelAfter(20_000)]
    public async Task Stream_FailureMidStream_ReachesTheConsumerAfterTheItemsBeforeIt(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        IProbe proxy = StartProbe(pair);
        var items = new List<int>();

        var error = await Failure.ThrowsAsync<RemoteException>(async () =>
        {
            await foreach (int item in proxy.ThenFailAsync(150, cancellationToken))
            {
                items.Add(item);
            }
        });

        Assert.That(items, Is.EqualTo(Enumerable.Range(0, 150)));
        Assert.That((error!.Code, error.Message), Is.EqualTo(("MID_STREAM", "failed after 150 items")));
        Assert.That((await proxy.CountersAsync(cancellationToken)).OpenStreams, Is.Zero);
    }

    [Test, CancelAfter(20_000)]
    public async Task Stream_ConsumerStopsEarly_EndsTheProducerPromptly(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        IProbe proxy = StartProbe(pair);

        int seen = 0;
        await foreach (int item in proxy.ForeverAsync(cancellationToken))
        {
            if (++seen == 10)
            {
                break;
            }
        }

        ProbeCounters counters = await WaitForAsync(proxy, c => c.Ended == 1, cancellationToken);
        Assert.That(counters.OpenStreams, Is.Zero);
    }

    [Test, CancelAfter(20_000)]
    public async Task Stream_ConsumerCancels_ThrowsOperationCanceled_AndEndsTheProducer(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        IProbe proxy = StartProbe(pair);
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        int seen = 0;
        Assert.That(
            async () =>
            {
                await foreach (int item in proxy.ForeverAsync(cancellation.Token))
                {
                    if (++seen == 100)
                    {
                        await cancellation.CancelAsync();
                    }
                }
            },
            Throws.InstanceOf<OperationCanceledException>());

        ProbeCounters counters = await WaitForAsync(proxy, c => c.Ended == 1, cancellationToken);
        Assert.That(counters.OpenStreams, Is.Zero);
    }

    [Test, CancelAfter(20_000)]
    public async Task Stream_SlowConsumer_HoldsTheProducerToTheGrantedWindows(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        IProbe proxy = StartProbe(pair);

        await using IAsyncEnumerator<int> stream = proxy.ForeverAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        Assert.That(await stream.MoveNextAsync(), Is.True);

        // The consumer has taken one item and reads no more; give the producer every chance to run ahead.
        ProbeCounters counters = await WaitForAsync(proxy, c => c.Produced > 64, cancellationToken);
        for (int i = 0; i < 50; i++)
        {
            counters = await proxy.CountersAsync(cancellationToken);
        }

        // Items are ready at once here: the first answer carries the first window of 64, the prefetch the second.
        Assert.That(counters.Produced, Is.EqualTo(64 + 64), "the producer made what the two granted windows hold, no more");
    }

    [Test, CancelAfter(30_000)]
    public async Task Stream_ManyAbandonedWithoutDispose_EndOnTheProducerAfterTheIdleTimeout(CancellationToken cancellationToken)
    {
        _clock = new FakeClock();
        await using ChannelPair pair = CreatePair();
        IProbe proxy = StartProbe(pair);
        const int Abandoned = 50;

        for (int i = 0; i < Abandoned; i++)
        {
            IAsyncEnumerator<int> forgotten = proxy.ForeverAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
            Assert.That(await forgotten.MoveNextAsync(), Is.True); // then dropped: never disposed
        }

        // Each stream has sent its two windows (the opening batch and the prefetched one), so nothing will re-arm its timer.
        await WaitForAsync(proxy, c => c.Produced == Abandoned * 2L * 64, cancellationToken);
        await _clock.WhenArmedAsync(StreamProducers.IdleTimeout, Abandoned, cancellationToken).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        Assert.That((await proxy.CountersAsync(cancellationToken)).OpenStreams, Is.EqualTo(Abandoned));
        _clock.Advance(StreamProducers.IdleTimeout);

        ProbeCounters counters = await WaitForAsync(proxy, c => c.Ended == Abandoned, cancellationToken);
        Assert.That(counters.OpenStreams, Is.Zero, "every abandoned stream was ended and forgotten");
        Assert.That(counters.Started, Is.EqualTo(Abandoned));
    }

    [Test, CancelAfter(60_000)]
    public async Task Stream_MoreThanTheProducerAllowsOpen_FailsWithTooManyStreams(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        IProbe proxy = StartProbe(pair);
        var open = new List<IAsyncEnumerator<int>>();

        for (int i = 0; i < StreamProducers.MaxOpenStreams; i++)
        {
            IAsyncEnumerator<int> stream = proxy.ForeverAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
            await stream.MoveNextAsync();
            open.Add(stream);
        }

        await using IAsyncEnumerator<int> oneTooMany = proxy.ForeverAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        var error = await Failure.ThrowsAsync<RemoteException>(async () => await oneTooMany.MoveNextAsync());
        foreach (IAsyncEnumerator<int> stream in open)
        {
            await stream.DisposeAsync();
        }

        Assert.That(error!.Code, Is.EqualTo(ErrorCodes.TooManyStreams));
        ProbeCounters counters = await WaitForAsync(proxy, c => c.OpenStreams == 0, cancellationToken);
        Assert.That(counters.Ended, Is.EqualTo(StreamProducers.MaxOpenStreams), "disposed streams end on the producer");
    }

    [Test, CancelAfter(30_000)]
    public async Task Stream_AsManyIdleStreamsAsAllowed_LeaveOtherCallsTheirHandlers_AndCancellingEndsThem(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        IProbe proxy = StartProbe(pair);
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var waiting = new List<Task<bool>>();

        // Each stream's consumer waits for an item with a cmd.stream.next that the producer holds: a request being handled.
        for (int i = 0; i < StreamProducers.MaxOpenStreams; i++)
        {
            waiting.Add(proxy.NeverAsync(cancellation.Token).GetAsyncEnumerator(cancellation.Token).MoveNextAsync().AsTask());
        }

        ProbeCounters counters = await WaitForAsync(proxy, c => c.Started == StreamProducers.MaxOpenStreams && c.OpenStreams == StreamProducers.MaxOpenStreams, cancellationToken);
        var tooMany = await Failure.ThrowsAsync<RemoteException>(async () => await proxy.NeverAsync(cancellationToken).GetAsyncEnumerator(cancellationToken).MoveNextAsync());
        await cancellation.CancelAsync();

        Assert.That(tooMany!.Code, Is.EqualTo(ErrorCodes.TooManyStreams));
        Assert.That(counters.OpenStreams, Is.EqualTo(StreamProducers.MaxOpenStreams), "other calls went through while every stream waited");
        foreach (Task<bool> moved in waiting)
        {
            Assert.That(async () => await moved, Throws.InstanceOf<OperationCanceledException>());
        }

        counters = await WaitForAsync(proxy, c => c.Ended == StreamProducers.MaxOpenStreams, cancellationToken);
        Assert.That(counters.OpenStreams, Is.Zero, "a cancelled cmd.stream.next ends its stream");
    }

    [Test, CancelAfter(20_000)]
    public async Task Stream_AbandonedThenConnectionLost_LeavesNoExceptionUnobserved(CancellationToken cancellationToken)
    {
        // An abandoned stream still has its next window asked for; when the connection goes, that request fails with nobody
        // awaiting it, and the library must still observe it (an unobserved exception reaches the application's handler).
        var unobserved = new List<Exception>();
        EventHandler<UnobservedTaskExceptionEventArgs> record = (_, e) =>
        {
            lock (unobserved)
            {
                unobserved.Add(e.Exception);
            }
        };
        TaskScheduler.UnobservedTaskException += record;
        try
        {
            ChannelPair pair = CreatePair();
            await using (pair)
            {
                IProbe proxy = StartProbe(pair);
                for (int i = 0; i < 5; i++)
                {
                    await StartAndAbandonAsync(proxy, cancellationToken);
                }

                await pair.Plugin.DisposeAsync();
                await pair.Host.Completion.WaitAsync(cancellationToken);
                Assert.That(pair.Host.PendingCallCount, Is.Zero);
            }

            for (int round = 0; round < 3; round++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }

            Assert.That(unobserved, Is.Empty, () => string.Join(Environment.NewLine, unobserved));
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= record;
        }
    }

    [Test, CancelAfter(20_000)]
    public async Task Stream_ConnectionLost_FailsTheEnumerationWithTheChannelsReason(CancellationToken cancellationToken)
    {
        ChannelPair pair = CreatePair();
        await using (pair)
        {
            IProbe proxy = StartProbe(pair);
            await using IAsyncEnumerator<int> stream = proxy.ForeverAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
            Assert.That(await stream.MoveNextAsync(), Is.True);

            await pair.Plugin.DisposeAsync();

            Assert.That(
                async () =>
                {
                    while (await stream.MoveNextAsync())
                    {
                    }
                },
                Throws.InstanceOf<ChannelClosedException>());
        }
    }

    [Test, CancelAfter(20_000)]
    public async Task BothWays_TheCalleeCallsBackThroughItsOwnProxy(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        pair.Host.AddTarget<IGreeter>(new Greeter("host"));
        pair.Plugin.AddTarget<IProbe>(new Probe(() => pair.Plugin));
        pair.Start();

        string answer = await pair.Host.GetProxy<IProbe>().AskBackAsync("plugin", cancellationToken);

        Assert.That(answer, Is.EqualTo("Hello, plugin! (host, greeting #1)"));
    }

    [Test, CancelAfter(20_000)]
    public async Task HostileRequests_AreAnsweredInvalidRequest_NamingWhatIsWrong(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        pair.Plugin.AddTarget<IGreeter>(new Greeter("plugin"));
        pair.Start();

        var wrongArity = await Failure.ThrowsAsync<RemoteException>(() => pair.Host.CallAsync("IGreeter.Move", Array(Wire, 1, 2), cancellationToken));
        var wrongType = await Failure.ThrowsAsync<RemoteException>(() => pair.Host.CallAsync("IGreeter.Move", Array(Wire, "a", "b", "c"), cancellationToken));
        var notAnArray = await Failure.ThrowsAsync<RemoteException>(() => pair.Host.CallAsync("IGreeter.Move", Encoding.UTF8.GetBytes("\u00ff"), cancellationToken));
        var unknownStream = await Failure.ThrowsAsync<RemoteException>(() => pair.Host.CallAsync(Commands.StreamNext, Array(Wire, 12345L, 10L), cancellationToken));
        var hugeWindow = await Failure.ThrowsAsync<RemoteException>(() => pair.Host.CallAsync("IGreeter.Count", Array(Wire, 1, 2, 1_000_000), cancellationToken));

        Assert.That(wrongArity!.Code, Is.EqualTo(ErrorCodes.InvalidRequest));
        Assert.That(wrongArity.Message, Does.Contain("'IGreeter.Move'").And.Contain("takes 3 arguments; the request has 2"));
        Assert.That(wrongType!.Message, Does.Contain("Argument 0 of 'IGreeter.Move'").And.Contain("is not a Point"));
        Assert.That(notAnArray!.Message, Does.Contain("takes an array of 3 arguments"));
        Assert.That(unknownStream!.Message, Does.Contain("Stream 12345 is not open"));
        Assert.That(hugeWindow!.Message, Does.Contain("asked for 1000000 items"));
    }

    [Test]
    public void GetProxy_InterfaceWithoutGeneratedCode_SaysWhatToDo()
    {
        var pair = ChannelPair.Create(framer, Transports.Memory);
        Assert.That(
            () => pair.Host.GetProxy<IDisposable>(),
            Throws.InvalidOperationException.With.Message.Contains("Mark the interface [PluginContract]"));
    }

    [TearDown]
    public void DisposeClock() => _clock = null;

    private static ReadOnlyMemory<byte> Array(IPluginSerializer wire, params object[] values)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        wire.WriteArrayStart(buffer, values.Length);
        for (int i = 0; i < values.Length; i++)
        {
            if (i > 0)
            {
                wire.WriteArraySeparator(buffer);
            }

            switch (values[i])
            {
                case int n:
                    wire.Serialize(buffer, n);
                    break;
                case long n:
                    wire.Serialize(buffer, n);
                    break;
                default:
                    wire.Serialize(buffer, (string)values[i]);
                    break;
            }
        }

        wire.WriteArrayEnd(buffer);
        return buffer.WrittenMemory;
    }

    /// <summary>Asks the probe for its counters until <paramref name="done"/> holds: each ask is a round trip, no sleep.</summary>
    private static async Task<ProbeCounters> WaitForAsync(IProbe proxy, Func<ProbeCounters, bool> done, CancellationToken cancellationToken)
    {
        while (true)
        {
            ProbeCounters counters = await proxy.CountersAsync(cancellationToken);
            if (done(counters))
            {
                return counters;
            }

            await Task.Yield();
        }
    }

    /// <summary>Serves a <see cref="Probe"/> on the pair's plugin side, starts the pair, and returns the host's proxy to it.</summary>
    // A method of its own: once it returns, nothing references the enumerator.
    private static async Task StartAndAbandonAsync(IProbe proxy, CancellationToken cancellationToken)
    {
        IAsyncEnumerator<int> forgotten = proxy.ForeverAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        Assert.That(await forgotten.MoveNextAsync(), Is.True); // its next window is asked for now, then it is dropped
    }

    private static IProbe StartProbe(ChannelPair pair)
    {
        pair.Plugin.AddTarget<IProbe>(new Probe(() => pair.Plugin));
        pair.Start();
        return pair.Host.GetProxy<IProbe>();
    }

    private IPluginSerializer Wire => Serializer ?? new MessagePackPluginSerializer();

    private IPluginSerializer? Serializer => serializer switch
    {
        "msgpack" => null, // the default
        "json" => new JsonPluginSerializer(),
        _ => new JsonPluginSerializer(ContractTestJsonContext.Default),
    };

    private ChannelPair CreatePair()
    {
        IPluginSerializer? chosen = Serializer;
        FakeClock? clock = _clock;
        return ChannelPair.Create(
            framer,
            Transports.Memory,
            o => o.Serializer = chosen,
            o =>
            {
                o.Serializer = chosen;
                if (clock is not null)
                {
                    o.TimeProvider = clock;
                }
            });
    }

    /// <summary>A probe whose <see cref="IProbe.WaitForCancelAsync"/> tells the test when it waits and when its token fired.</summary>
    private sealed class CancellableProbe() : IProbe
    {
        private readonly Probe _probe = new(() => throw new InvalidOperationException());

        public TaskCompletionSource Waiting { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<bool> Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<int> WaitForCancelAsync(IProgress<string> started, CancellationToken cancellationToken = default)
        {
            Waiting.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Cancelled.TrySetResult(true); // seen here, not by a registration: a registration disposed as the token fires may never run
                throw;
            }
            return 0;
        }

        public Task<int> FailAsync(string code, CancellationToken cancellationToken = default) => _probe.FailAsync(code, cancellationToken);

        public Task<int> CrashAsync(CancellationToken cancellationToken = default) => _probe.CrashAsync(cancellationToken);

        public Task<int> GiveUpAsync(CancellationToken cancellationToken = default) => _probe.GiveUpAsync(cancellationToken);

        public IAsyncEnumerable<int> ThenFailAsync(int count, CancellationToken cancellationToken = default) => _probe.ThenFailAsync(count, cancellationToken);

        public IAsyncEnumerable<int> ForeverAsync(CancellationToken cancellationToken = default) => _probe.ForeverAsync(cancellationToken);

        public IAsyncEnumerable<int> NeverAsync(CancellationToken cancellationToken = default) => _probe.NeverAsync(cancellationToken);

        public Task<ProbeCounters> CountersAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<int> ReportAfterEndAsync(IProgress<int> progress, CancellationToken cancellationToken = default) => _probe.ReportAfterEndAsync(progress, cancellationToken);

        public Task<string> AskBackAsync(string name, CancellationToken cancellationToken = default) => _probe.AskBackAsync(name, cancellationToken);

        public Task LateReportAsync(CancellationToken cancellationToken = default) => _probe.LateReportAsync(cancellationToken);

        public Task<int> ProcessIdAsync(CancellationToken cancellationToken = default) => _probe.ProcessIdAsync(cancellationToken);
    }
}
