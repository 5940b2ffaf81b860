using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>
/// Carries chunks over one duplex connection and gives both ends the same powers: call the other side and await its
/// answer, send one-way messages, and handle what the other side sends.
/// </summary>
/// <remarks>
/// All members are thread safe. Many calls may be in flight in both directions at once, and a handler may call the other
/// side while it handles a request. Quick handlers and the continuations of awaited calls run inline on the read loop,
/// and the answers they write go out together; code that holds the loop too long loses it (reading goes on on another
/// thread) and is run on the thread pool from then on. A call made outside the thread pool while others are in flight is
/// written by a flush queued to the thread pool, together with the calls made meanwhile; other calls are written at once,
/// or with the write under way.
/// Register handlers before <see cref="Start"/> (or before the first call, which starts
/// the channel) so that no early message finds them missing. The channel owns the streams or pipe it is given and
/// closes them when it closes.
/// </remarks>
public sealed partial class Channel : IChunkPeer, IChunkCallShortcuts, Contracts.IContractPeer, IAsyncDisposable
{
    private const int Created = 0;
    private const int Running = 1;
    private const int Closing = 2;
    private const int Closed = 3;

    /// <summary>A chunk this large took long enough to read that inline code is not timed from before it.</summary>
    private const int LargeChunkBytes = 16 * 1024;

    /// <summary>
    /// Swept deadlines (on the system clock only) use <see cref="Environment.TickCount64"/>, a cheap clock that may advance
    /// in steps of up to a scheduler tick; this much is added so that a call never times out early (the sweep fires it up
    /// to a period late).
    /// </summary>
    private const long CoarseClockResolutionMs = 20;

    private static readonly Action<object?> s_onCallerCancelled = static state => ((PendingCall)state!).Channel.OnCallerCancelled((PendingCall)state);
    private static readonly Action<object?> s_onTimeout = static state => ((PendingCall)state!).Channel.OnTimeout((PendingCall)state);
    private static readonly ChunkHandler s_pingHandler = static (_, _, _) => ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
    /// <summary>Bounds waits on the transport's own I/O, not a timeout the user set: on the real clock whatever <see cref="ChannelOptions.TimeProvider"/> is.</summary>
    private static readonly TimeSpan s_readLoopExitTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_inlineCheckPeriod = TimeSpan.FromMilliseconds(25);

    /// <summary>Timeouts this long or longer are watched by the channel's sweep rather than a timer per call.</summary>
    private static readonly TimeSpan s_sweptTimeoutMinimum = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_sweepPeriod = TimeSpan.FromMilliseconds(100);

    private static readonly Func<ReceivedChunk, Chunk> s_answerChunk = static response => response.ToChunk();
    private static readonly Func<PendingCall, long, bool> s_isOverdue = static (call, now) => call.Deadline != 0 && call.Deadline <= now;

    private readonly IChunkFramer _framer;
    private readonly IReceivedChunkReader? _fieldReader; // the built-in framers: responses reach their callers without a Chunk
    private readonly PipeReader _input;
    private readonly DirectBufferReader? _directReader;
    private readonly DedicatedReadStream? _dedicatedInput;
    private readonly ChunkWriter _writer;
    private readonly Stream[] _ownedStreams;
    private readonly ChannelOptions _options;
    private readonly ChannelTelemetry _telemetry;
    private readonly ILogger _logger;
    private readonly HandlerRegistration _ping = new(Commands.Ping, s_pingHandler);
    private readonly InlineDispatchGuard _guard;
    private readonly PeriodicCheck _timeouts;

    /// <summary>Whether <see cref="ChannelOptions.TimeProvider"/> is the system's: calls then use pooled timers and the sweep.</summary>
    private readonly bool _systemClock;

    /// <summary>Callers' continuations as inline work: slow ones move the completion of calls to the thread pool.</summary>
    private readonly SlowRunCounter _completions = new();
    private readonly TaskCompletionSource _readingDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly InFlightTable<PendingCall> _pending;
    private readonly InFlightTable<IncomingRequest> _incoming = new();

    /// <summary>The request whose handler runs inline on the read loop right now, outside <see cref="_incoming"/>; cleared by the loop once the guard confirms it still owns the input.</summary>
    private IncomingRequest? _inlineRequest;

    /// <summary>
    /// A request whose handler ended inline, for the read loop to reuse. The loop that owns the input takes it; a loop that
    /// just lost the input to a stall may still leave its own finished request here, which is as good.
    /// </summary>
    private IncomingRequest? _spareRequest;

    /// <summary>How long a large request waits for <see cref="_largeRequests"/> before the wait is logged.</summary>
    private static readonly TimeSpan s_largeRequestWaitWarning = TimeSpan.FromSeconds(5);
    private readonly HandlerSlots _handlerSlots;
    private readonly LargeRequestBudget _largeRequests;
    private readonly DispatchBacklog _backlog;
    private readonly OneWayQueue? _oneWays;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private HandlerRegistry _handlers = new();
    private IChunkPeer _owner;
    private ReadResult _readResult;
    private ReadOnlySequence<byte> _unread;

    /// <summary>Whether <see cref="_readResult"/> is used up, so a loop that takes over must read first.</summary>
    private bool _readUsedUp;
    private long _lastThreadId;
    private int _state;
    private int _shutdownStarted;

    /// <summary>Handlers running or waiting to run, but for requests handled inline: those only hold a handler slot.</summary>
    private int _activeHandlers;
    private Task? _readLoop;
    private Exception? _closeReason;

    /// <summary>Initializes a channel over one duplex stream, such as a socket or a named pipe.</summary>
    /// <param name="stream">The connection; the channel owns it and disposes it when it closes.</param>
    /// <param name="framer">The wire framing both sides use.</param>
    /// <param name="options">Settings; <see langword="null"/> for the defaults.</param>
    public Channel(Stream stream, IChunkFramer framer, ChannelOptions? options = null)
        : this(
            CreateReader(ValidateStream(stream, nameof(stream))),
            stream,
            stream,
            null,
            [stream],
            framer,
            options)
    {
    }

    /// <summary>Initializes a channel over a pair of one-way streams, such as the two ends of anonymous pipes.</summary>
    /// <param name="input">The stream the other side's chunks arrive on; owned by the channel.</param>
    /// <param name="output">The stream this side's chunks go to; owned by the channel.</param>
    /// <param name="framer">The wire framing both sides use.</param>
    /// <param name="options">Settings; <see langword="null"/> for the defaults.</param>
    public Channel(Stream input, Stream output, IChunkFramer framer, ChannelOptions? options = null)
        : this(
            CreateReader(ValidateStream(input, nameof(input))),
            input,
            ValidateStream(output, nameof(output)),
            null,
            [input, output],
            framer,
            options)
    {
    }

    /// <summary>Initializes a channel over a duplex pipe.</summary>
    /// <remarks>
    /// A reader scheduled with <see cref="PipeScheduler.Inline"/> runs the channel's read loop, and its quick handlers, on the
    /// thread that flushes the other end: a handler that blocks there blocks that thread too.
    /// </remarks>
    /// <param name="pipe">The connection; the channel completes its reader and writer when it closes.</param>
    /// <param name="framer">The wire framing both sides use.</param>
    /// <param name="options">Settings; <see langword="null"/> for the defaults.</param>
    public Channel(IDuplexPipe pipe, IChunkFramer framer, ChannelOptions? options = null)
        : this(
            (pipe ?? throw new ArgumentNullException(nameof(pipe))).Input,
            null,
            null,
            pipe.Output,
            [],
            framer,
            options)
    {
    }

    private Channel(PipeReader input, Stream? inputStream, Stream? outputStream, PipeWriter? outputPipe, Stream[] ownedStreams, IChunkFramer framer, ChannelOptions? options)
    {
        ArgumentNullException.ThrowIfNull(framer);
        _options = (options ?? new ChannelOptions()).Snapshot();
        _systemClock = ReferenceEquals(_options.TimeProvider, TimeProvider.System);
        _framer = framer;
        _fieldReader = framer as IReceivedChunkReader;
        _input = input;
        _telemetry = new ChannelTelemetry(_options.Name, PluginIpcMetrics.For(_options.MeterFactory));
        _directReader = DirectBufferReader.Create(inputStream, framer, _telemetry, RentsBufferFor);
        _dedicatedInput = inputStream as DedicatedReadStream;
        if (_dedicatedInput is not null)
        {
            _dedicatedInput.BusyPollTime = _options.BusyPollTime;
        }

        Action<Exception> onWriteFailure = failure => FailAsync(failure).Forget();
        _writer = outputStream is not null
            ? new ChunkWriter(outputStream, framer, onWriteFailure, _telemetry)
            : new ChunkWriter(outputPipe!, framer, onWriteFailure, _telemetry);
        _ownedStreams = ownedStreams;
        _owner = this;
        _logger = _options.LoggerFactory.CreateLogger("PluginIpc.Channel");
        _handlerSlots = new HandlerSlots(_options.MaxConcurrentHandlers);
        _largeRequests = new LargeRequestBudget(_options.MaxRunningRequestBytes);
        _backlog = new DispatchBacklog(_options.MaxQueuedMessages, _options.MaxQueuedBytes);
        _oneWays = _options.ConcurrentOneWayDispatch ? null : new OneWayQueue(this);
        _guard = new InlineDispatchGuard(s_inlineCheckPeriod, OnReadLoopStalled, OnSlowInlineRun);
        _pending = new InFlightTable<PendingCall>(onEmptied: CheckDrained); // the last call out lets a graceful close finish
        _timeouts = new PeriodicCheck(s_sweepPeriod, TimeOutOverdueCalls, () => _pending.Count > 0);
    }

    /// <summary>Gets the channel's name in logs and error messages.</summary>
    public string Name => _options.Name;

    /// <inheritdoc/>
    /// <value>From <see cref="ChannelOptions.DefaultCallTimeout"/>.</value>
    public TimeSpan DefaultCallTimeout => _options.DefaultCallTimeout;

    /// <inheritdoc/>
    public IPluginSerializer? Serializer => _options.Serializer;

    /// <summary>Gets the framer that reads and writes the wire bytes.</summary>
    public IChunkFramer Framer => _framer;

    /// <summary>Gets a value indicating whether the channel accepts new calls.</summary>
    public bool IsOpen => Volatile.Read(ref _state) <= Running;

    /// <summary>Gets a task that completes when the channel has closed, for whatever reason. It never faults.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Gets why the channel closed: <see langword="null"/> while it is open or when this side closed it; otherwise the failure, such as a <see cref="ProtocolException"/> or a <see cref="ChannelClosedException"/> for a peer that went away.</summary>
    public Exception? CloseReason => Volatile.Read(ref _closeReason);

    /// <summary>Gets the number of this side's calls that await an answer.</summary>
    public int PendingCallCount => _pending.Count;

    /// <summary>Gets the number of one-way messages and requests that wait for their handlers (see <see cref="ChannelOptions.MaxQueuedMessages"/>).</summary>
    internal int QueuedMessageCount => _backlog.Count;

    /// <summary>
    /// Resolves a better reason when the connection ends, such as the exit code of the process on the other end.
    /// Called once, before pending calls fail; bounded by one second.
    /// </summary>
    internal Func<Exception, Task<Exception>>? CloseReasonResolver { get; set; }

    /// <summary>Gets or sets the handlers, when a <see cref="Plugin"/> or <see cref="Main"/> shares its own with the channel; set before <see cref="Start"/>.</summary>
    internal HandlerRegistry Handlers
    {
        get => _handlers;
        set => _handlers = value;
    }

    /// <summary>Gets or sets the peer that handlers receive: the <see cref="Plugin"/> or <see cref="Main"/> that owns the channel, or the channel; set before <see cref="Start"/>.</summary>
    internal IChunkPeer Owner
    {
        get => _owner;
        set => _owner = value;
    }

    /// <inheritdoc/>
    public void Handle(string cmd, ChunkHandler handler) => _handlers.Handle(cmd, handler);

    /// <inheritdoc/>
    public void HandleFallback(ChunkHandler? handler) => _handlers.HandleFallback(handler);

    /// <inheritdoc/>
    TimeProvider Contracts.IContractPeer.TimeProvider => _options.TimeProvider;

    /// <inheritdoc/>
    IReadOnlyDictionary<string, string>? Contracts.IContractPeer.RemoteMetadata => null;

    /// <inheritdoc/>
    Channel? Contracts.IContractPeer.Connection => this;

    /// <inheritdoc/>
    void Contracts.IContractPeer.HandleInline(string cmd, ChunkHandler handler) => _handlers.HandleInline(cmd, handler);

    /// <summary>Starts reading and dispatching what the other side sends. Calls start the channel too. Does nothing if it already started.</summary>
    /// <exception cref="ObjectDisposedException">The channel is closed.</exception>
    public void Start()
    {
        int state = Interlocked.CompareExchange(ref _state, Running, Created);
        if (state == Created)
        {
            ChannelLog.Started(_logger, Name, _framer.Name);
            _oneWays?.Start();
            _readLoop = ReadLoopAsync(resume: false);
            return;
        }

        ObjectDisposedException.ThrowIf(state == Closed, this);
    }

    /// <inheritdoc/>
    public Task<Chunk> CallAsync(Chunk request, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        request is null
            ? Task.FromException<Chunk>(new ArgumentNullException(nameof(request)))
            : CallCoreAsync(request.Cmd, request.Buffer, request.Headers, timeout, s_answerChunk, cancellationToken);

    /// <inheritdoc/>
    public ValueTask NotifyAsync(Chunk message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return SendAsync(new OutgoingChunk(message.ThreadId, Direction.OneWay, message.Cmd, message.Buffer, message.Headers), cancellationToken);
    }

    /// <inheritdoc/>
    Task<TAnswer> IChunkCallShortcuts.CallAsync<TAnswer>(string cmd, ReadOnlyMemory<byte> buffer, IReadOnlyDictionary<string, string>? headers, TimeSpan timeout, Func<ReceivedChunk, TAnswer> answer, CancellationToken cancellationToken) =>
        CallCoreAsync(cmd, buffer, headers, timeout, answer, cancellationToken);

    /// <inheritdoc/>
    ValueTask IChunkCallShortcuts.NotifyAsync(string cmd, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cmd);
        return SendAsync(new OutgoingChunk(0, Direction.OneWay, cmd, buffer), cancellationToken);
    }

    /// <summary>
    /// Closes gracefully: new calls from either side are refused (the other side's requests are answered
    /// <see cref="ErrorCodes.ShuttingDown"/>), calls and handlers in flight get up to <see cref="ChannelOptions.ShutdownGracePeriod"/>
    /// to finish, and then whatever is left is cancelled and the connection closed.
    /// </summary>
    /// <param name="cancellationToken">Ends the grace period early; the channel still closes.</param>
    /// <returns>A task that completes when the channel has closed.</returns>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, Closing, Running) == Running)
        {
            CheckDrained();
            try
            {
                await _drained.Task.WaitAsync(_options.ShutdownGracePeriod, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
                // The grace period is over: cancel what is left.
            }
        }

        await ShutdownAsync(null).ConfigureAwait(false);
    }

    /// <summary>Closes at once: pending calls fail with <see cref="ChannelClosedException"/> and running handlers are cancelled. Safe to call more than once; never throws.</summary>
    /// <returns>A task that completes when the channel has closed.</returns>
    /// <remarks>
    /// It waits for the read loop to end, unless the loop is running a handler or a caller's continuation (that code may be
    /// what disposes, even synchronously, and the loop ends once it returns), or is blocked in a read that will come back
    /// cancelled and dispatch nothing.
    /// </remarks>
    public async ValueTask DisposeAsync()
    {
        await ShutdownAsync(null).ConfigureAwait(false);
        if (_readLoop is not null && !_guard.IsRunningInlineCode && _dedicatedInput?.HasAbandonedRead != true)
        {
            // A blocking stream may keep its read pending until the other end closes: do not wait for it forever.
            await _readingDone.Task.WaitAsync(s_readLoopExitTimeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"Channel '{Name}' ({_framer.Name}, {(IsOpen ? "open" : "closed")})";

    private static Stream ValidateStream(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream, name);
        return stream;
    }

    /// <summary>The reader of a stream: the channel's own for a stream read on a dedicated thread, a pipe reader of the stream for others.</summary>
    /// <remarks>
    /// Reads of at most 16 KiB: a large chunk's header then arrives with little of its buffer, and
    /// <see cref="DirectBufferReader"/> has the kernel copy the rest straight into the buffer's own array. With 64 KiB reads a
    /// 64 KiB chunk arrived whole in the read buffer and was copied out again (a fifth of the CPU of a 64 KiB echo, issue 29).
    /// </remarks>
    private static PipeReader CreateReader(Stream input) =>
        input is DedicatedReadStream dedicated
            ? new DedicatedPipeReader(dedicated)
            : PipeReader.Create(input, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4 * 1024, leaveOpen: true));
}
