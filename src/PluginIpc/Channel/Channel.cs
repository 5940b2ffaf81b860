using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
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
public sealed class Channel : IAsyncDisposable
{
    private const int Created = 0;
    private const int Running = 1;
    private const int Closing = 2;
    private const int Closed = 3;

    /// <summary>A chunk this large took long enough to read that inline code is not timed from before it.</summary>
    private const int LargeChunkBytes = 16 * 1024;

    /// <summary>
    /// Swept deadlines use <see cref="Environment.TickCount64"/>, a cheap clock that may advance in steps of up to a
    /// scheduler tick; this much is added so that a call never times out early (the sweep fires it up to a period late).
    /// </summary>
    private const long CoarseClockResolutionMs = 20;

    private static readonly Action<object?> s_onCallerCancelled = static state => ((PendingCall)state!).Channel.OnCallerCancelled((PendingCall)state);
    private static readonly Action<object?> s_onTimeout = static state => ((PendingCall)state!).Channel.OnTimeout((PendingCall)state);
    private static readonly ChunkHandler s_pingHandler = static (_, _, _) => ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
    private static readonly TimeSpan s_readLoopExitTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_inlineCheckPeriod = TimeSpan.FromMilliseconds(25);

    /// <summary>Timeouts this long or longer are watched by the channel's sweep rather than a timer per call.</summary>
    private static readonly TimeSpan s_sweptTimeoutMinimum = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_sweepPeriod = TimeSpan.FromMilliseconds(100);

    private static readonly Func<Chunk, ReadOnlyMemory<byte>> s_answerBuffer = static response => response.Buffer;
    private static readonly Func<Chunk, string> s_answerText = static response => Encoding.UTF8.GetString(response.Buffer.Span);
    private static readonly Func<Chunk, Chunk> s_answerChunk = static response => response;
    private static readonly Func<PendingCall, long, bool> s_isOverdue = static (call, now) => call.Deadline != 0 && call.Deadline <= now;

    private readonly IChunkFramer _framer;
    private readonly PipeReader _input;
    private readonly DirectBufferReader? _directReader;
    private readonly ChunkWriter _writer;
    private readonly Stream[] _ownedStreams;
    private readonly ChannelOptions _options;
    private readonly ILogger _logger;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, HandlerRegistration> _handlers = new(StringComparer.Ordinal);
    private readonly HandlerRegistration _ping = new(Commands.Ping, s_pingHandler);
    private readonly InlineDispatchGuard _guard;
    private readonly PeriodicCheck _timeouts;

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
    private readonly HandlerSlots _handlerSlots;
    private readonly DispatchBacklog _backlog;
    private readonly OneWayQueue? _oneWays;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private HandlerRegistration? _fallback;
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
            PipeReader.Create(ValidateStream(stream, nameof(stream)), CreateReaderOptions()),
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
            PipeReader.Create(ValidateStream(input, nameof(input)), CreateReaderOptions()),
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
        _framer = framer;
        _input = input;
        _directReader = DirectBufferReader.Create(inputStream, framer, _options.Name);
        Action<Exception> onWriteFailure = failure => FailAsync(failure).Forget();
        _writer = outputStream is not null
            ? new ChunkWriter(outputStream, framer, onWriteFailure, _options.Name)
            : new ChunkWriter(outputPipe!, framer, onWriteFailure, _options.Name);
        _ownedStreams = ownedStreams;
        _logger = _options.LoggerFactory.CreateLogger("PluginIpc.Channel");
        _handlerSlots = new HandlerSlots(_options.MaxConcurrentHandlers);
        _backlog = new DispatchBacklog(_options.MaxQueuedMessages, _options.MaxQueuedBytes);
        _oneWays = _options.ConcurrentOneWayDispatch ? null : new OneWayQueue(this);
        _guard = new InlineDispatchGuard(s_inlineCheckPeriod, OnReadLoopStalled, OnSlowInlineRun);
        _pending = new InFlightTable<PendingCall>(onEmptied: CheckDrained); // the last call out lets a graceful close finish
        _timeouts = new PeriodicCheck(s_sweepPeriod, TimeOutOverdueCalls, () => _pending.Count > 0);
    }

    /// <summary>Gets the channel's name in logs and error messages.</summary>
    public string Name => _options.Name;

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

    /// <summary>Registers the handler of requests and one-way messages with command <paramref name="cmd"/>, replacing any earlier one.</summary>
    /// <param name="cmd">The command, matched exactly (ordinal).</param>
    /// <param name="handler">The handler.</param>
    public void Handle(string cmd, ChunkHandler handler)
    {
        ArgumentNullException.ThrowIfNull(cmd);
        ArgumentNullException.ThrowIfNull(handler);
        _handlers[cmd] = new HandlerRegistration(cmd, handler);
    }

    /// <summary>Registers the handler of every command that has no handler of its own.</summary>
    /// <param name="handler">The fallback handler, or <see langword="null"/> to remove it: requests without a handler are then answered <see cref="ErrorCodes.UnknownCommand"/>.</param>
    public void HandleFallback(ChunkHandler? handler) => Volatile.Write(ref _fallback, handler is null ? null : new HandlerRegistration("*", handler));

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

    /// <summary>Sends a request and awaits its answer, within <see cref="ChannelOptions.DefaultCallTimeout"/>.</summary>
    /// <param name="cmd">The command.</param>
    /// <param name="buffer">The request's body.</param>
    /// <param name="cancellationToken">Cancels the call: the other side is told, and the wait ends at once.</param>
    /// <returns>The answer's body.</returns>
    /// <exception cref="RemoteException">The other side answered with an error.</exception>
    /// <exception cref="TimeoutException">No answer came in time.</exception>
    /// <exception cref="ChannelClosedException">The channel closed before the answer came.</exception>
    /// <exception cref="ProtocolException">The request exceeds the framer's limits; nothing was sent.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<ReadOnlyMemory<byte>> CallAsync(string cmd, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        CallAsync(cmd, buffer, _options.DefaultCallTimeout, cancellationToken);

    /// <summary>Sends a request and awaits its answer within <paramref name="timeout"/>.</summary>
    /// <param name="cmd">The command.</param>
    /// <param name="buffer">The request's body.</param>
    /// <param name="timeout">How long to wait for the answer; <see cref="Timeout.InfiniteTimeSpan"/> to wait while the channel is open.</param>
    /// <param name="cancellationToken">Cancels the call: the other side is told, and the wait ends at once.</param>
    /// <returns>The answer's body.</returns>
    /// <exception cref="RemoteException">The other side answered with an error.</exception>
    /// <exception cref="TimeoutException">No answer came in time.</exception>
    /// <exception cref="ChannelClosedException">The channel closed before the answer came.</exception>
    /// <exception cref="ProtocolException">The request exceeds the framer's limits; nothing was sent.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<ReadOnlyMemory<byte>> CallAsync(string cmd, ReadOnlyMemory<byte> buffer, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        CallCoreAsync(cmd, buffer, headers: null, timeout, s_answerBuffer, cancellationToken);

    /// <summary>Sends a request with a UTF-8 text body and awaits its answer as text, within <see cref="ChannelOptions.DefaultCallTimeout"/>.</summary>
    /// <param name="cmd">The command.</param>
    /// <param name="text">The request's body, sent as UTF-8.</param>
    /// <param name="cancellationToken">Cancels the call: the other side is told, and the wait ends at once.</param>
    /// <returns>The answer's body decoded as UTF-8.</returns>
    /// <exception cref="RemoteException">The other side answered with an error.</exception>
    /// <exception cref="TimeoutException">No answer came in time.</exception>
    /// <exception cref="ChannelClosedException">The channel closed before the answer came.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<string> CallAsync(string cmd, string text, CancellationToken cancellationToken = default) =>
        text is null
            ? Task.FromException<string>(new ArgumentNullException(nameof(text)))
            : CallCoreAsync(cmd, Encoding.UTF8.GetBytes(text), headers: null, _options.DefaultCallTimeout, s_answerText, cancellationToken);

    /// <summary>Sends <paramref name="request"/>'s command, buffer and headers as a request and awaits the whole answer, within <see cref="ChannelOptions.DefaultCallTimeout"/>.</summary>
    /// <param name="request">The request; its thread id and direction are ignored and chosen by the channel.</param>
    /// <param name="cancellationToken">Cancels the call: the other side is told, and the wait ends at once.</param>
    /// <returns>The response chunk.</returns>
    /// <exception cref="RemoteException">The other side answered with an error.</exception>
    /// <exception cref="TimeoutException">No answer came in time.</exception>
    /// <exception cref="ChannelClosedException">The channel closed before the answer came.</exception>
    /// <exception cref="ProtocolException">The request exceeds the framer's limits; nothing was sent.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<Chunk> CallAsync(Chunk request, CancellationToken cancellationToken = default) =>
        CallAsync(request, _options.DefaultCallTimeout, cancellationToken);

    /// <summary>Sends <paramref name="request"/>'s command, buffer and headers as a request and awaits the whole answer within <paramref name="timeout"/>.</summary>
    /// <param name="request">The request; its thread id and direction are ignored and chosen by the channel.</param>
    /// <param name="timeout">How long to wait for the answer; <see cref="Timeout.InfiniteTimeSpan"/> to wait while the channel is open.</param>
    /// <param name="cancellationToken">Cancels the call: the other side is told, and the wait ends at once.</param>
    /// <returns>The response chunk.</returns>
    /// <exception cref="RemoteException">The other side answered with an error.</exception>
    /// <exception cref="TimeoutException">No answer came in time.</exception>
    /// <exception cref="ChannelClosedException">The channel closed before the answer came.</exception>
    /// <exception cref="ProtocolException">The request exceeds the framer's limits; nothing was sent.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<Chunk> CallAsync(Chunk request, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        request is null
            ? Task.FromException<Chunk>(new ArgumentNullException(nameof(request)))
            : CallCoreAsync(request.Cmd, request.Buffer, request.Headers, timeout, s_answerChunk, cancellationToken);

    /// <summary>Sends a one-way message: the other side handles it and sends no answer.</summary>
    /// <param name="cmd">The command.</param>
    /// <param name="buffer">The body.</param>
    /// <param name="cancellationToken">Cancels the send if it has not started.</param>
    /// <returns>A task that completes when the message is handed to the transport.</returns>
    /// <exception cref="ChannelClosedException">The channel is closed.</exception>
    /// <exception cref="ProtocolException">The message exceeds the framer's limits; nothing was sent.</exception>
    public ValueTask NotifyAsync(string cmd, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cmd);
        return SendAsync(new OutgoingChunk(0, Direction.OneWay, cmd, buffer), cancellationToken);
    }

    /// <summary>Sends a one-way message with a UTF-8 text body.</summary>
    /// <param name="cmd">The command.</param>
    /// <param name="text">The body, sent as UTF-8.</param>
    /// <param name="cancellationToken">Cancels the send if it has not started.</param>
    /// <returns>A task that completes when the message is handed to the transport.</returns>
    /// <exception cref="ChannelClosedException">The channel is closed.</exception>
    public ValueTask NotifyAsync(string cmd, string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        return NotifyAsync(cmd, Encoding.UTF8.GetBytes(text), cancellationToken);
    }

    /// <summary>Sends <paramref name="message"/>'s command, buffer and headers as a one-way message.</summary>
    /// <param name="message">The message; its direction is ignored.</param>
    /// <param name="cancellationToken">Cancels the send if it has not started.</param>
    /// <returns>A task that completes when the message is handed to the transport.</returns>
    /// <exception cref="ChannelClosedException">The channel is closed.</exception>
    /// <exception cref="ProtocolException">The message exceeds the framer's limits; nothing was sent.</exception>
    public ValueTask NotifyAsync(Chunk message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return SendAsync(new OutgoingChunk(message.ThreadId, Direction.OneWay, message.Cmd, message.Buffer, message.Headers), cancellationToken);
    }

    /// <summary>Checks that the other side answers, and measures the round trip.</summary>
    /// <param name="cancellationToken">Cancels the ping.</param>
    /// <returns>The round-trip time.</returns>
    /// <exception cref="TimeoutException">No answer came within <see cref="ChannelOptions.DefaultCallTimeout"/>.</exception>
    /// <exception cref="ChannelClosedException">The channel closed.</exception>
    public Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default) => PingAsync(_options.DefaultCallTimeout, cancellationToken);

    /// <summary>Checks that the other side answers within <paramref name="timeout"/>, and measures the round trip.</summary>
    /// <param name="timeout">How long to wait for the answer.</param>
    /// <param name="cancellationToken">Cancels the ping.</param>
    /// <returns>The round-trip time.</returns>
    /// <exception cref="TimeoutException">No answer came in time.</exception>
    /// <exception cref="ChannelClosedException">The channel closed.</exception>
    public async Task<TimeSpan> PingAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        await CallCoreAsync(Commands.Ping, ReadOnlyMemory<byte>.Empty, headers: null, timeout, s_answerChunk, cancellationToken).ConfigureAwait(false);
        return Stopwatch.GetElapsedTime(start);
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
                await _drained.Task.WaitAsync(_options.ShutdownGracePeriod, cancellationToken).ConfigureAwait(false);
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
    /// It waits for the read loop to end, unless the loop is running a handler or a caller's continuation: that code may be
    /// what disposes, even synchronously, and the loop ends once it returns.
    /// </remarks>
    public async ValueTask DisposeAsync()
    {
        await ShutdownAsync(null).ConfigureAwait(false);
        if (_readLoop is not null && !_guard.IsRunningInlineCode)
        {
            // A blocking stream may keep its read pending until the other end closes: do not wait for it forever.
            await _readingDone.Task.WaitAsync(s_readLoopExitTimeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"Channel '{Name}' ({_framer.Name}, {(IsOpen ? "open" : "closed")})";

    /// <summary>Runs the handler of <paramref name="request"/>, on the thread pool, and sends its answer. Never faults.</summary>
    /// <param name="request">The request or one-way message.</param>
    internal async ValueTask RunHandlerAsync(IncomingRequest request)
    {
        Chunk chunk = request.Chunk;
        bool isRequest = chunk.Direction == Direction.Request;
        CancellationToken cancellationToken = request.Token;
        ChannelTelemetry.CallScope telemetry = ChannelTelemetry.StartHandler(Name, chunk);
        bool holdsSlot = false;

        // In the backlog until it starts; a one-way message handled concurrently, which no slot bounds, until it ends.
        bool inBacklog = true;
        try
        {
            if (isRequest)
            {
                Task slot = _handlerSlots.WaitAsync(cancellationToken);
                if (!slot.IsCompletedSuccessfully)
                {
                    await slot.ConfigureAwait(false);
                }

                holdsSlot = true;
            }

            if (isRequest || _oneWays is not null)
            {
                inBacklog = false;
                _backlog.Remove(chunk);
            }

            HandlerRegistration? registration = ResolveHandler(chunk);
            if (registration is null)
            {
                if (isRequest)
                {
                    await AnswerRequestAsync(request, Commands.Error, ErrorPayload.Encode(ErrorCodes.UnknownCommand, $"No handler for command '{chunk.Cmd}'.", null)).ConfigureAwait(false);
                }
                else
                {
                    ChannelLog.OneWayUnhandled(_logger, Name, chunk.Cmd, chunk.Buffer.Length);
                }

                return;
            }

            ValueTask<ReadOnlyMemory<byte>> pending = registration.Handler(chunk, this, cancellationToken);
            ReadOnlyMemory<byte> answer = pending.IsCompletedSuccessfully ? pending.Result : await pending.ConfigureAwait(false);
            if (isRequest)
            {
                await AnswerRequestAsync(request, chunk.Cmd, answer).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            telemetry.Fail(ex);
            await ReportHandlerFailureAsync(request, ex, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (inBacklog)
            {
                _backlog.Remove(chunk);
            }

            EndHandler(request, telemetry, holdsSlot);
        }
    }

    /// <summary>
    /// Runs a request's handler inline, on the read loop, holding a handler slot. A handler that answers at once is
    /// answered and ended here, with no state machine; one that goes on is awaited by <see cref="AwaitHandlerAsync"/>.
    /// </summary>
    private void RunHandlerInline(IncomingRequest request, HandlerRegistration registration)
    {
        // What the handler sets in its context (its activity, async locals) must not stay on the read loop.
        ExecutionContext? readLoopContext = ExecutionContext.Capture();
        Chunk chunk = request.Chunk;
        ChannelTelemetry.CallScope telemetry = ChannelTelemetry.StartHandler(Name, chunk);
        ValueTask<ReadOnlyMemory<byte>> pending;
        try
        {
            pending = registration.Handler(chunk, this, request.Token);
        }
        catch (Exception ex)
        {
            pending = ValueTask.FromException<ReadOnlyMemory<byte>>(ex);
        }

        if (readLoopContext is not null)
        {
            ExecutionContext.Restore(readLoopContext); // A handler that goes on keeps its context in its own continuations.
        }

        if (pending.IsCompletedSuccessfully)
        {
            ValueTask answered = AnswerRequestAsync(request, chunk.Cmd, pending.Result);
            if (answered.IsCompletedSuccessfully)
            {
                answered.GetAwaiter().GetResult();
                if (!EndHandler(request, telemetry, holdsSlot: true, inline: true))
                {
                    _spareRequest = request; // Never in the table, so nothing goes on holding it: the next request reuses it.
                }

                return;
            }

            EndHandlerAfterAsync(answered, request, telemetry).Forget();
            return;
        }

        EnterInTable(request); // It goes on after the loop moves on: a cancel, or a close, must find it.
        AwaitHandlerAsync(request, pending, telemetry).Forget();
    }

    /// <summary>Enters a request handled inline in the in-flight table, unless its handler has ended meanwhile.</summary>
    private void EnterInTable(IncomingRequest request)
    {
        ulong threadId = request.Chunk.ThreadId;
        _incoming.TryAdd(threadId, request); // false when the guard entered it first: the same request
        if (!request.MarkInTable())
        {
            _incoming.TryRemove(threadId, request); // Its handler ended first, and did not look in the table.
        }
    }

    /// <summary>Ends an inline request once its answer, still being written, is out. Never faults.</summary>
    private async ValueTask EndHandlerAfterAsync(ValueTask answered, IncomingRequest request, ChannelTelemetry.CallScope telemetry)
    {
        try
        {
            await answered.ConfigureAwait(false); // never faults
        }
        finally
        {
            EndHandler(request, telemetry, holdsSlot: true, inline: true);
        }
    }

    /// <summary>The rest of <see cref="RunHandlerInline"/> for a handler that did not answer at once, or failed. Never faults.</summary>
    private async ValueTask AwaitHandlerAsync(IncomingRequest request, ValueTask<ReadOnlyMemory<byte>> pending, ChannelTelemetry.CallScope telemetry)
    {
        Chunk chunk = request.Chunk;
        try
        {
            ReadOnlyMemory<byte> answer = await pending.ConfigureAwait(false);
            await AnswerRequestAsync(request, chunk.Cmd, answer).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            telemetry.Fail(ex);
            await ReportHandlerFailureAsync(request, ex, request.Token).ConfigureAwait(false);
        }
        finally
        {
            EndHandler(request, telemetry, holdsSlot: true, inline: true);
        }
    }

    /// <summary>Logs a handler's failure (unless the caller asked for it) and answers a request with the error. Never faults.</summary>
    private ValueTask ReportHandlerFailureAsync(IncomingRequest request, Exception failure, CancellationToken cancellationToken)
    {
        Chunk chunk = request.Chunk;
        bool cancelled = failure is OperationCanceledException && cancellationToken.IsCancellationRequested;
        if (failure is not RemoteException && !cancelled)
        {
            ChannelLog.HandlerFailed(_logger, Name, chunk.Cmd, failure);
        }

        if (chunk.Direction != Direction.Request)
        {
            return default;
        }

        byte[] error = cancelled
            ? ErrorPayload.Encode(ErrorCodes.Cancelled, $"The request '{chunk.Cmd}' was cancelled.", null)
            : ErrorPayload.Encode(failure, _options.IncludeExceptionDetails);
        return AnswerRequestAsync(request, Commands.Error, error);
    }

    /// <summary>Ends a handled request or one-way message: stops its telemetry and releases its slot, table entry and token.</summary>
    /// <param name="request">The request or one-way message.</param>
    /// <param name="telemetry">Its telemetry.</param>
    /// <param name="holdsSlot">Whether it holds a handler slot.</param>
    /// <param name="inline">
    /// Whether it is a request handled inline: those hold a slot but are not counted in <see cref="_activeHandlers"/>, which
    /// saves two atomic operations per request; a close finds them running by the slots they hold.
    /// </param>
    /// <returns>Whether the request is or was in the in-flight table (always for one-way messages): something may still hold it.</returns>
    private bool EndHandler(IncomingRequest request, in ChannelTelemetry.CallScope telemetry, bool holdsSlot, bool inline = false)
    {
        telemetry.Stop();
        if (holdsSlot)
        {
            _handlerSlots.Release();
        }

        if (request.Finish(out bool wasInTable) && request.Chunk.Direction == Direction.Request)
        {
            _incoming.TryRemove(request.Chunk.ThreadId, request);
        }

        if (inline ? Volatile.Read(ref _state) == Closing : Interlocked.Decrement(ref _activeHandlers) == 0)
        {
            CheckDrained();
        }

        return wasInTable;
    }

    private static Stream ValidateStream(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream, name);
        return stream;
    }

    private static StreamPipeReaderOptions CreateReaderOptions() =>
        new(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true);

    /// <summary>Starts a call and returns the task of its answer; what fails before the request is sent fails the task too.</summary>
    /// <typeparam name="TAnswer">What the caller gets from the response.</typeparam>
    private Task<TAnswer> CallCoreAsync<TAnswer>(string cmd, ReadOnlyMemory<byte> buffer, IReadOnlyDictionary<string, string>? headers, TimeSpan timeout, Func<Chunk, TAnswer> answer, CancellationToken cancellationToken)
    {
        PendingCall<TAnswer> call;
        try
        {
            call = BeginCall(cmd, buffer, headers, timeout, answer, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<TAnswer>(cancellationToken);
        }
        catch (Exception ex)
        {
            return Task.FromException<TAnswer>(ex);
        }

        return SendRequest(call);
    }

    /// <summary>Checks that a call may start, and enters it in the pending table under a new thread id.</summary>
    private PendingCall<TAnswer> BeginCall<TAnswer>(string cmd, ReadOnlyMemory<byte> buffer, IReadOnlyDictionary<string, string>? headers, TimeSpan timeout, Func<Chunk, TAnswer> answer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cmd);
        ChannelOptions.ValidateTimeout(timeout, nameof(timeout));
        cancellationToken.ThrowIfCancellationRequested();
        EnsureAcceptingCalls();

        ulong threadId = (ulong)Interlocked.Increment(ref _lastThreadId);
        bool swept = timeout >= s_sweptTimeoutMinimum;
        long deadline = swept ? Environment.TickCount64 + (long)timeout.TotalMilliseconds + CoarseClockResolutionMs : 0;
        var call = PendingCall<TAnswer>.Rent(this, threadId, cmd, buffer, headers, timeout, deadline, answer, cancellationToken);
        _pending.TryAdd(threadId, call, out int inFlight);
        call.OthersInFlight = inFlight > 1;
        if (swept)
        {
            _timeouts.Arm();
        }

        if (Volatile.Read(ref _state) >= Closing && _pending.TryRemove(threadId, call))
        {
            call.Return();
            EnsureAcceptingCalls();
        }

        return call;
    }

    /// <summary>
    /// Sends <paramref name="call"/>'s request and returns the caller's task. No state machine waits for the answer: whoever
    /// settles the call completes the task (see <see cref="PendingCall"/>).
    /// </summary>
    private Task<TAnswer> SendRequest<TAnswer>(PendingCall<TAnswer> call)
    {
        Task<TAnswer> task = call.Task;
        ulong threadId = call.ThreadId;
        IReadOnlyDictionary<string, string>? headers = call.Headers;
        try
        {
            call.Telemetry = ChannelTelemetry.StartCall(Name, call.Cmd, ref headers); // an activity listener may throw
            if (call.CallerToken.CanBeCanceled)
            {
                call.CallerRegistration = call.CallerToken.UnsafeRegister(s_onCallerCancelled, call);
            }

            if (call.Timeout != Timeout.InfiniteTimeSpan && call.Deadline == 0)
            {
                CancellationTokenSource timer = CancellationTokenSourcePool.Rent();
                call.Timer = timer;
                call.TimerRegistration = timer.Token.UnsafeRegister(s_onTimeout, call);
                timer.CancelAfter(call.Timeout);
            }

            if (!call.SettledEarly)
            {
                // A thread-pool thread writes at once even with others in flight: it may block on its call (sync over async),
                // and a pool with no thread left could then never run the queued write the call waits for.
                bool mayWait = call.OthersInFlight && !Thread.CurrentThread.IsThreadPoolThread;
                ValueTask write = _writer.WriteAsync(new OutgoingChunk(threadId, Direction.Request, call.Cmd, call.Buffer, headers), mayWait);
                if (write.IsCompleted)
                {
                    write.GetAwaiter().GetResult();
                }
                else
                {
                    FailIfUnsentAsync(write, threadId, call).Forget();
                }
            }
        }
        catch (Exception ex)
        {
            FailUnsent(threadId, call, ex);
        }

        // From here on only the call's settler touches it: it may already be recycled, and in use by another call.
        if (!call.TryMarkSent())
        {
            call.Finish();
        }

        return task;
    }

    /// <summary>Fails a call whose request's write, still under way when the call was sent, fails.</summary>
    /// <param name="write">The write.</param>
    /// <param name="threadId">The call's thread id when it was sent.</param>
    /// <param name="call">The call.</param>
    private async Task FailIfUnsentAsync(ValueTask write, ulong threadId, PendingCall call)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            FailUnsent(threadId, call, ex);
        }
    }

    /// <summary>Fails a call whose request did not go out, with why, unless something else settled it first.</summary>
    /// <param name="threadId">The call's thread id when it was sent: a recycled call is never in the table under it.</param>
    /// <param name="call">The call.</param>
    /// <param name="failure">Why the request did not go out.</param>
    private void FailUnsent(ulong threadId, PendingCall call, Exception failure)
    {
        // A failed transport closes the channel, which fails the call with why it closed (the first cause, such as the
        // plugin's exit or a protocol error), not with what the write happened to see ("broken pipe").
        if (failure is not ChannelClosedException && _pending.TryRemove(threadId, call))
        {
            call.SetException(failure);
        }
    }

    /// <summary>Says why a call failed: a closed output is explained by why the channel closed, once that is known.</summary>
    internal Exception ExplainFailure(Exception failure) =>
        failure is ChannelClosedException { InnerException: null } closed && CloseReason is { } reason
            ? new ChannelClosedException(closed.Message, reason)
            : failure;

    private async ValueTask SendAsync(OutgoingChunk chunk, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        EnsureAcceptingCalls(allowClosing: true); // one-way messages, such as log entries, may still go out during the grace period
        try
        {
            await _writer.WriteAsync(chunk).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            throw await ExplainClosedAsync(ex).ConfigureAwait(false);
        }
    }

    /// <summary>Waits briefly for the channel to close after a failed write, and says why it closed: the first cause.</summary>
    private async Task<Exception> ExplainClosedAsync(ChannelClosedException failure)
    {
        await _completion.Task.WaitAsync(s_readLoopExitTimeout + s_readLoopExitTimeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return CloseReason is { } reason && !ReferenceEquals(reason, failure)
            ? new ChannelClosedException($"Channel '{Name}' closed before the message went out: {reason.Message}", reason)
            : failure;
    }

    private void EnsureAcceptingCalls(bool allowClosing = false)
    {
        int state = Volatile.Read(ref _state);
        if (state == Created)
        {
            Start();
            state = Volatile.Read(ref _state);
        }

        if (state > Closing || (state == Closing && !allowClosing))
        {
            throw state == Closing
                ? new ChannelClosedException($"Channel '{Name}' is shutting down and takes no new calls.")
                : new ChannelClosedException($"Channel '{Name}' is closed.", CloseReason);
        }
    }

    private void OnCallerCancelled(PendingCall call)
    {
        if (TryWithdraw(call))
        {
            call.SetException(new OperationCanceledException(call.CallerToken));
        }
    }

    private void OnTimeout(PendingCall call)
    {
        if (TryWithdraw(call))
        {
            call.SetException(CreateTimeoutException(call));
        }
    }

    /// <summary>The sweep: times out the calls past their deadline.</summary>
    private void TimeOutOverdueCalls()
    {
        List<PendingCall>? overdue = _pending.RemoveWhere(s_isOverdue, Environment.TickCount64);
        if (overdue is null)
        {
            return;
        }

        foreach (PendingCall call in overdue)
        {
            TellPeerWithdrawn(call);
            call.SetException(CreateTimeoutException(call));
        }
    }

    private TimeoutException CreateTimeoutException(PendingCall call) =>
        new($"Channel '{Name}': the call '{call.Cmd}' got no answer within {call.Timeout}.");

    /// <summary>Stops waiting for <paramref name="call"/> and tells the other side it is no longer wanted.</summary>
    private bool TryWithdraw(PendingCall call)
    {
        if (!_pending.TryRemove(call.ThreadId, call))
        {
            return false;
        }

        TellPeerWithdrawn(call);
        return true;
    }

    /// <summary>Sends a Cancel for a call this side removed from the pending table and no longer awaits.</summary>
    private void TellPeerWithdrawn(PendingCall call)
    {
        if (Volatile.Read(ref _state) <= Closing)
        {
            SendCancelAsync(call.ThreadId, call.Cmd).Forget();
        }
    }

    private async Task SendCancelAsync(ulong threadId, string cmd)
    {
        try
        {
            await _writer.WriteAsync(new OutgoingChunk(threadId, Direction.Cancel, cmd)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            ChannelLog.CancelFailed(_logger, Name, threadId, ex);
        }
    }

    /// <summary>
    /// Takes a handled request out of the in-flight table, then sends its response: the other side may reuse the thread
    /// id as soon as it reads the response. Never throws: a failure is logged.
    /// </summary>
    private ValueTask AnswerRequestAsync(IncomingRequest request, string cmd, ReadOnlyMemory<byte> body)
    {
        if (request.LeaveTable())
        {
            _incoming.TryRemove(request.Chunk.ThreadId, request);
        }

        return AnswerAsync(request.Chunk, cmd, body);
    }

    /// <summary>Sends the response to <paramref name="request"/>. Never throws: a failure is logged.</summary>
    private ValueTask AnswerAsync(Chunk request, string cmd, ReadOnlyMemory<byte> body)
    {
        // Most answers are framed at once and need no state machine; only a write still under way, or failed, gets one.
        ValueTask write;
        try
        {
            write = _writer.WriteAsync(new OutgoingChunk(request.ThreadId, Direction.Response, cmd, body));
        }
        catch (Exception ex)
        {
            write = ValueTask.FromException(ex);
        }

        if (write.IsCompletedSuccessfully)
        {
            write.GetAwaiter().GetResult();
            return default;
        }

        return AwaitAnswerAsync(write, request, body);
    }

    /// <summary>The rest of <see cref="AnswerAsync"/> when the write is still under way, or failed.</summary>
    private async ValueTask AwaitAnswerAsync(ValueTask write, Chunk request, ReadOnlyMemory<byte> body)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (ProtocolException ex)
        {
            // The answer is over the framer's limits: the caller must still hear about it.
            byte[] error = ErrorPayload.Encode(ErrorCodes.PayloadTooLarge, $"The answer to '{request.Cmd}' ({body.Length} bytes) exceeds the framer's limits: {ex.Message}", null);
            await AnswerAsync(request, Commands.Error, error).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The transport is gone (the caller's side fails its call itself), or the answer could not be framed.
            ChannelLog.AnswerFailed(_logger, Name, request.Cmd, request.ThreadId, ex);
        }
    }

    private HandlerRegistration? ResolveHandler(Chunk chunk)
    {
        if (chunk.Direction == Direction.Request && chunk.Cmd == Commands.Ping)
        {
            return _ping;
        }

        return _handlers.TryGetValue(chunk.Cmd, out HandlerRegistration? registration) ? registration : Volatile.Read(ref _fallback);
    }

    /// <summary>Reads and dispatches what the other side sends, until the input ends or fails or the channel closes.</summary>
    /// <param name="resume">Go on with the read another loop left when the inline dispatch guard took reading from it.</param>
    private async Task ReadLoopAsync(bool resume)
    {
        Exception? failure = null;
        try
        {
            while (true)
            {
                if (!resume || _readUsedUp)
                {
                    _readUsedUp = false;
                    _readResult = await _input.ReadAsync().ConfigureAwait(false);
                    _unread = _readResult.Buffer;
                }

                resume = false;
                if (!DispatchUnread(out bool backlogFull))
                {
                    return; // Code run inline held this loop too long: another loop reads from here on.
                }

                if (backlogFull)
                {
                    // Too much waits for its handlers: read nothing more until half of it has started, then dispatch the rest of this read.
                    await _backlog.WaitForRoomAsync(_lifetime.Token).ConfigureAwait(false);
                    resume = true;
                    continue;
                }

                ReadResult result = _readResult;
                ReadOnlySequence<byte> buffer = _unread;
                bool large = false;
                try
                {
                    if (result.IsCompleted)
                    {
                        if (!buffer.IsEmpty)
                        {
                            throw new ProtocolException($"The input ended inside a chunk: {buffer.Length} bytes of an incomplete chunk were left.");
                        }

                        if (Volatile.Read(ref _shutdownStarted) == 0)
                        {
                            failure = new ChannelClosedException($"Channel '{Name}': the other side closed the connection.");
                        }

                        break;
                    }

                    if (result.IsCanceled && Volatile.Read(ref _shutdownStarted) != 0)
                    {
                        break;
                    }

                    large = !buffer.IsEmpty && _directReader is not null && _directReader.TryTake(ref buffer);
                }
                finally
                {
                    ChannelTelemetry.RecordReceived(Name, result.Buffer.Length - buffer.Length);
                    _input.AdvanceTo(buffer.Start, buffer.End);
                }

                if (large)
                {
                    // Most of a large buffer is still to come: it is read straight into its own array, then dispatched alone.
                    _readUsedUp = true;
                    Chunk chunk = await _directReader!.ReadRestAsync(_lifetime.Token).ConfigureAwait(false);
                    if (!DispatchAlone(chunk))
                    {
                        return;
                    }

                    if (_backlog.IsFull)
                    {
                        await _backlog.WaitForRoomAsync(_lifetime.Token).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (ProtocolException ex)
        {
            ChannelLog.ProtocolError(_logger, Name, ex);
            failure = ex;
        }
        catch (Exception ex)
        {
            if (Volatile.Read(ref _shutdownStarted) == 0)
            {
                ChannelLog.ConnectionFailed(_logger, Name, ex);
                failure = ex is ChannelClosedException ? ex : new ChannelClosedException($"Channel '{Name}': the connection failed: {ex.Message}", ex);
            }
        }

        await _input.CompleteAsync(failure).ConfigureAwait(false);
        await (failure is null ? ShutdownAsync(null) : FailAsync(failure)).ConfigureAwait(false);
        _readingDone.TrySetResult();
    }

    /// <summary>Closes the channel because reading or writing failed, with the best reason <see cref="CloseReasonResolver"/> finds.</summary>
    private async Task FailAsync(Exception failure)
    {
        if (CloseReasonResolver is { } resolver && Volatile.Read(ref _shutdownStarted) == 0)
        {
            try
            {
                failure = await resolver(failure).WaitAsync(s_readLoopExitTimeout).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
                // Keep the reason we have.
            }
        }

        await ShutdownAsync(failure).ConfigureAwait(false);
    }

    /// <summary>
    /// Dispatches the whole chunks in <see cref="_unread"/>. Handlers and callers' continuations run inline, under the guard,
    /// and the writer is corked meanwhile, so the answers to one read go out in one write.
    /// </summary>
    /// <param name="backlogFull">
    /// Set when it stopped because too much waits for its handlers: whole chunks may be left in <see cref="_unread"/>, and
    /// the loop must dispatch them before it reads again (a read would wait for more input).
    /// </param>
    /// <returns><see langword="false"/> when the guard took reading from this loop: it must not touch the input again.</returns>
    private bool DispatchUnread(out bool backlogFull)
    {
        ReadOnlySequence<byte> buffer = _unread;
        bool owner = true;
        backlogFull = false;
        _writer.Cork();
        _guard.BeginBatch();
        try
        {
            while (_framer.TryRead(ref buffer, out Chunk? chunk))
            {
                _unread = buffer;
                if (chunk!.Buffer.Length >= LargeChunkBytes)
                {
                    _guard.RestartClock(); // Copying it took time of its own; the code it goes to is timed from here.
                }

                if (!Dispatch(chunk))
                {
                    owner = false;
                    return false;
                }

                if (_backlog.IsFull)
                {
                    backlogFull = true; // The read loop waits for room before it dispatches the rest.
                    break;
                }
            }

            return true;
        }
        finally
        {
            if (owner)
            {
                _guard.EndBatch();
            }

            _writer.Uncork();
        }
    }

    /// <summary>Dispatches one chunk read on its own, corked and guarded as <see cref="DispatchUnread"/> dispatches a read's chunks.</summary>
    /// <returns><see langword="false"/> when the guard took reading from this loop.</returns>
    private bool DispatchAlone(Chunk chunk)
    {
        bool owner = false;
        _writer.Cork();
        _guard.BeginBatch();
        try
        {
            owner = Dispatch(chunk);
            return owner;
        }
        finally
        {
            if (owner)
            {
                _guard.EndBatch();
            }

            _writer.Uncork();
        }
    }

    /// <summary>Hands <paramref name="chunk"/> to whoever awaits or handles it.</summary>
    /// <returns><see langword="false"/> when code it ran inline held the loop so long that the guard took reading from it.</returns>
    private bool Dispatch(Chunk chunk)
    {
        switch (chunk.Direction)
        {
            case Direction.Response:
                if (!_pending.TryRemove(chunk.ThreadId, out PendingCall? call))
                {
                    ChannelLog.ResponseDropped(_logger, Name, chunk.ThreadId);
                    return true;
                }

                if (_completions.RunsOnThreadPool)
                {
                    call.SetResult(chunk, runContinuationInline: false);
                    return true;
                }

                long section = _guard.Enter(_completions);
                call.SetResult(chunk, runContinuationInline: true);
                return _guard.TryExit(section);

            case Direction.Request:
                return DispatchRequest(chunk);

            case Direction.OneWay:
                Interlocked.Increment(ref _activeHandlers);
                _backlog.Add(chunk);
                var message = new IncomingRequest(this, chunk, _lifetime.Token);
                if (_oneWays is not null)
                {
                    _oneWays.Enqueue(message);
                }
                else
                {
                    ThreadPool.UnsafeQueueUserWorkItem(message, preferLocal: true);
                }

                break;

            case Direction.Cancel:
                if (_incoming.TryGet(chunk.ThreadId, out IncomingRequest? cancelled))
                {
                    cancelled.Cancel();
                }

                break;

            default:
                break; // Noop
        }

        return true;
    }

    private bool DispatchRequest(Chunk chunk)
    {
        int state = Volatile.Read(ref _state);
        if (state == Closed)
        {
            return true; // Closed at once: no answer; the caller fails with ChannelClosedException when the connection ends.
        }

        if (state == Closing)
        {
            _ = AnswerAsync(chunk, Commands.Error, ErrorPayload.Encode(ErrorCodes.ShuttingDown, $"Channel '{Name}' is shutting down.", null)).AsTask(); // never faults
            return true;
        }

        IncomingRequest? request = _spareRequest;
        if (request is null)
        {
            request = new IncomingRequest(this, chunk, CancellationTokenSourcePool.Rent());
        }
        else
        {
            _spareRequest = null;
            request.Reuse(chunk, CancellationTokenSourcePool.Rent());
        }

        HandlerRegistration? registration = ResolveHandler(chunk);

        // A request handled inline stays out of the in-flight table while its handler runs on the loop: no other chunk
        // is read meanwhile, so nothing can look for it there (see RunHandlerInline and OnReadLoopStalled).
        bool inline = registration is { RunsOnThreadPool: false } && !_incoming.Contains(chunk.ThreadId) && _handlerSlots.TryTake();
        if (!inline && !_incoming.TryAdd(chunk.ThreadId, request))
        {
            request.Finish(out _);
            ChannelLog.DuplicateThreadId(_logger, Name, chunk.ThreadId, chunk.Cmd);
            _ = AnswerAsync(chunk, Commands.Error, ErrorPayload.Encode(ErrorCodes.InvalidRequest, $"Thread id {chunk.ThreadId} is already in flight.", null)).AsTask(); // never faults
            return true;
        }

        if (!inline)
        {
            Interlocked.Increment(ref _activeHandlers);
            _backlog.Add(chunk);
            ThreadPool.UnsafeQueueUserWorkItem(request, preferLocal: true);
            return true;
        }

        request.MarkOutsideTable();
        Volatile.Write(ref _inlineRequest, request);
        long section = _guard.Enter(registration!);
        RunHandlerInline(request, registration!);
        if (!_guard.TryExit(section))
        {
            return false; // Taken over: the loop reading now owns _inlineRequest, and this one must not clear it.
        }

        _inlineRequest = null;
        return true;
    }

    /// <summary>Moves work that keeps holding the read loop off it: a handler to the thread pool, or every caller's continuation.</summary>
    private void OnSlowInlineRun(SlowRunCounter work)
    {
        if (!work.RecordSlowRun())
        {
            return;
        }

        if (work is HandlerRegistration registration)
        {
            ChannelLog.HandlerMovedToThreadPool(_logger, Name, registration.Cmd);
        }
        else
        {
            ChannelLog.CompletionsMovedToThreadPool(_logger, Name);
        }
    }

    /// <summary>Called by the guard, on a timer thread, when inline code held the read loop for a whole check period: reading goes on in a new loop.</summary>
    private void OnReadLoopStalled(SlowRunCounter work)
    {
        ChannelLog.ReadLoopStalled(_logger, Name, work is HandlerRegistration registration ? $"the handler of '{registration.Cmd}'" : "a caller's continuation", s_inlineCheckPeriod.TotalMilliseconds);
        OnSlowInlineRun(work);
        if (Volatile.Read(ref _inlineRequest) is { } stuck)
        {
            EnterInTable(stuck); // Before the new loop reads: it may read a cancel for it, or a request reusing its thread id.
        }

        ThreadPool.UnsafeQueueUserWorkItem(
            static channel =>
            {
                channel._writer.ReleaseCork(); // What the stuck code wrote corked goes out now, not when it returns.
                channel.ReadLoopAsync(resume: true).Forget();
            },
            this,
            preferLocal: false);
    }

    private void CheckDrained()
    {
        if (Volatile.Read(ref _state) == Closing
            && _pending.Count == 0
            && Volatile.Read(ref _activeHandlers) == 0
            && _handlerSlots.Available == _options.MaxConcurrentHandlers) // requests handled inline hold a slot only
        {
            _drained.TrySetResult();
        }
    }

    private async Task ShutdownAsync(Exception? reason)
    {
        if (Interlocked.Exchange(ref _shutdownStarted, 1) != 0)
        {
            await _completion.Task.ConfigureAwait(false);
            return;
        }

        Volatile.Write(ref _closeReason, reason);
        Volatile.Write(ref _state, Closed);
        ChannelLog.Closed(_logger, Name, reason?.Message ?? "closed by this side");

        ChannelClosedException failure = reason switch
        {
            null => new ChannelClosedException($"Channel '{Name}' was closed before the answer came."),
            ChannelClosedException closed => closed,
            _ => new ChannelClosedException($"Channel '{Name}' closed before the answer came: {reason.Message}", reason),
        };
        foreach (PendingCall call in _pending.RemoveAll())
        {
            call.SetException(failure);
        }

        foreach (IncomingRequest request in _incoming.Snapshot())
        {
            request.Cancel();
        }

        Volatile.Read(ref _inlineRequest)?.Cancel(); // A handler running inline, outside the table (a no-op once it ended)

        try
        {
            await _lifetime.CancelAsync().ConfigureAwait(false);
        }
        catch (AggregateException)
        {
            // A handler's cancellation callback threw; the handler reports its own failure.
        }

        _oneWays?.Complete();
        _guard.Dispose();
        _timeouts.Dispose();
        await _writer.CompleteAsync(reason).ConfigureAwait(false);
        if (_readLoop is null)
        {
            await _input.CompleteAsync().ConfigureAwait(false);
        }
        else
        {
            _input.CancelPendingRead();
        }

        foreach (Stream stream in _ownedStreams)
        {
            try
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
            {
                // Closing a broken transport.
            }
        }

        _completion.TrySetResult();
    }
}
