using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace PluginIpc;

/// <summary>Settings of a <see cref="Channel"/>.</summary>
/// <remarks>A channel copies these values when it is created; later changes do not affect it.</remarks>
public sealed class ChannelOptions
{
    /// <summary>Gets or sets a name for the channel in logs and error messages.</summary>
    /// <value>Defaults to <c>channel</c>.</value>
    public string Name { get; set; } = "channel";

    /// <summary>Gets or sets how long a call waits for its answer unless the call says otherwise.</summary>
    /// <value>Defaults to 30 seconds. <see cref="Timeout.InfiniteTimeSpan"/> waits as long as the channel is open.</value>
    public TimeSpan DefaultCallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how many request handlers may run at once; further requests wait for a free slot.</summary>
    /// <value>Defaults to 256.</value>
    /// <remarks>Handlers that call the other side back hold their slot while they wait: keep the limit above the depth of such chains.</remarks>
    public int MaxConcurrentHandlers { get; set; } = 256;

    /// <summary>
    /// Gets or sets how many one-way messages and requests may wait for their handlers (queued in order, or for a free
    /// handler slot) before the channel stops reading from the other side until half of them have started.
    /// </summary>
    /// <value>Defaults to 1,024.</value>
    /// <remarks>
    /// While the channel does not read, the other side's writes block in its own pipe, so a peer cannot grow this process's
    /// memory by sending faster than it is served. Nothing is read meanwhile, answers included: a handler that waits for an
    /// answer from a peer that floods it waits until the backlog drains or its call times out.
    /// </remarks>
    public int MaxQueuedMessages { get; set; } = 1024;

    /// <summary>Gets or sets how many bytes of one-way messages and requests (bodies and commands) may wait for their handlers before the channel stops reading; see <see cref="MaxQueuedMessages"/>.</summary>
    /// <value>Defaults to 16 MiB.</value>
    public long MaxQueuedBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>
    /// Gets or sets how many bytes of request bodies over 64 KiB running handlers may hold at once; the next such request
    /// waits, in order, until running ones end. One larger than this runs when no other large one does.
    /// </summary>
    /// <value>Defaults to 64 MiB.</value>
    /// <remarks>
    /// <see cref="MaxConcurrentHandlers"/> bounds how many handlers run, not what they hold. A handler that calls the other
    /// side back holds its request while it waits: keep the limit above the large bodies of such chains.
    /// </remarks>
    public long MaxRunningRequestBytes { get; set; } = DefaultMaxRunningRequestBytes;

    /// <summary>Gets or sets a value indicating whether one-way messages are handled concurrently rather than one at a time in the order sent.</summary>
    /// <value>Defaults to <see langword="false"/>: one-way messages from one sender are handled in order.</value>
    public bool ConcurrentOneWayDispatch { get; set; }

    /// <summary>Gets or sets a value indicating whether a failing handler's exception text, with its stack trace, is sent to the caller in the error's details.</summary>
    /// <value>Defaults to <see langword="false"/>: only the exception's message is sent.</value>
    public bool IncludeExceptionDetails { get; set; }

    /// <summary>
    /// Gets or sets how long the thread that reads a plugin's pipe keeps checking for input before each blocking read. A
    /// blocked reader wakes up on a CPU that may have gone idle, which on some machines (virtual ones especially) costs tens
    /// of microseconds per message; a reader that is still checking sees the chunk at once.
    /// </summary>
    /// <value>
    /// Defaults to <see cref="TimeSpan.Zero"/>: readers block at once. At most <see cref="MaxBusyPollTime"/>. Each read may
    /// then cost up to this much CPU time of the reading thread; once messages stop, one last window is spent, then nothing.
    /// </value>
    /// <remarks>
    /// Applies to the pipes the library opens itself on Linux and macOS (a <see cref="Plugin"/>'s and a <see cref="Main"/>'s),
    /// not to a <see cref="Channel"/> over streams of the caller's own; ignored on a machine or process with one CPU, where
    /// checking would take the CPU the other side needs to answer. It pays off when the two readers are the only threads a
    /// round trip needs: where other threads need the same CPUs (a web server in front of the plugin on a machine with two),
    /// the polling takes their time and latency gets worse.
    /// </remarks>
    public TimeSpan BusyPollTime { get; set; }

    /// <summary>The default of <see cref="MaxRunningRequestBytes"/>: 64 MiB, a framer's largest chunk by default.</summary>
    internal const long DefaultMaxRunningRequestBytes = 64L * 1024 * 1024;

    /// <summary>The largest <see cref="BusyPollTime"/>: 10 ms.</summary>
    public static readonly TimeSpan MaxBusyPollTime = TimeSpan.FromMilliseconds(10);

    /// <summary>Gets or sets how long <see cref="Channel.CloseAsync(CancellationToken)"/> lets in-flight calls and handlers finish.</summary>
    /// <value>Defaults to 5 seconds.</value>
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets the clock of call timeouts (pings included) and of <see cref="ShutdownGracePeriod"/>.</summary>
    /// <value>Defaults to <see cref="TimeProvider.System"/>. Tests can pass a <c>FakeTimeProvider</c> and advance time by hand.</value>
    /// <remarks>
    /// With <see cref="TimeProvider.System"/>, calls reuse pooled timers and long timeouts share one periodic sweep; with
    /// another provider, each call with a timeout gets a timer of that provider, disposed when the call settles.
    /// </remarks>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Gets or sets the format of typed calls (<c>CallAsync&lt;TRequest, TResponse&gt;</c> and <c>Handle&lt;TRequest, TResponse&gt;</c>); the other side must use the same.</summary>
    /// <value>Defaults to <see langword="null"/>: a <see cref="MessagePackPluginSerializer"/>. NativeAOT applications set a <see cref="JsonPluginSerializer"/> made with their <c>JsonSerializerContext</c>.</value>
    public IPluginSerializer? Serializer { get; set; }

    /// <summary>Gets or sets the logger factory; the channel logs under the category <c>PluginIpc.Channel</c>.</summary>
    /// <value>Defaults to <see cref="NullLoggerFactory.Instance"/>.</value>
    public ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;

    /// <summary>
    /// Gets or sets the factory of the <see cref="System.Diagnostics.Metrics.Meter"/> the channel records its metrics with,
    /// such as the <see cref="IMeterFactory"/> of an application's services.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: the library's static meter named <see cref="PluginIpcDiagnostics.MeterName"/>.</value>
    public IMeterFactory? MeterFactory { get; set; }

    internal ChannelOptions Snapshot()
    {
        ArgumentNullException.ThrowIfNull(Name);
        ArgumentNullException.ThrowIfNull(LoggerFactory);
        ArgumentNullException.ThrowIfNull(TimeProvider);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxConcurrentHandlers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxQueuedMessages);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxQueuedBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxRunningRequestBytes);
        ValidateTimeout(DefaultCallTimeout, nameof(DefaultCallTimeout));
        ValidateTimeout(ShutdownGracePeriod, nameof(ShutdownGracePeriod));
        ValidateBusyPollTime(BusyPollTime, nameof(BusyPollTime));
        return (ChannelOptions)MemberwiseClone();
    }

    /// <summary>Returns the options of the channel that a plugin or a plugin side runs on.</summary>
    /// <param name="settings">The plugin's or plugin side's options.</param>
    /// <param name="name">The channel's name: the plugin's.</param>
    /// <param name="shutdownGracePeriod">How long requests in flight may take when the channel closes gracefully.</param>
    /// <param name="loggerFactory">Where the channel logs.</param>
    internal static ChannelOptions From(IChannelSettings settings, string name, TimeSpan shutdownGracePeriod, ILoggerFactory loggerFactory) => new()
    {
        Name = name,
        DefaultCallTimeout = settings.CallTimeout,
        MaxConcurrentHandlers = settings.MaxConcurrentHandlers,
        MaxQueuedMessages = settings.MaxQueuedMessages,
        MaxQueuedBytes = settings.MaxQueuedBytes,
        MaxRunningRequestBytes = settings.MaxRunningRequestBytes,
        ShutdownGracePeriod = shutdownGracePeriod,
        LoggerFactory = loggerFactory,
        MeterFactory = settings.MeterFactory,
        Serializer = settings.Serializer,
        TimeProvider = settings.TimeProvider,
        BusyPollTime = settings.BusyPollTime,
    };

    internal static bool IsValidBusyPollTime(TimeSpan value) => value >= TimeSpan.Zero && value <= MaxBusyPollTime;

    internal static void ValidateBusyPollTime(TimeSpan value, string name)
    {
        if (!IsValidBusyPollTime(value))
        {
            throw new ArgumentOutOfRangeException(name, value, $"Expected a time span from zero to {MaxBusyPollTime.TotalMilliseconds} ms.");
        }
    }

    internal static void ValidateTimeout(TimeSpan value, string name)
    {
        if (value != Timeout.InfiniteTimeSpan && (value < TimeSpan.Zero || value.Ticks > int.MaxValue * TimeSpan.TicksPerMillisecond))
        {
            throw new ArgumentOutOfRangeException(name, value, "Expected a non-negative time span or Timeout.InfiniteTimeSpan.");
        }
    }
}
