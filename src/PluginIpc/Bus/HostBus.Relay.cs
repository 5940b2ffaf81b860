using System.Text.Json;

namespace PluginIpc;

/// <content>
/// What arrives from other hosts through the relay, all of it untrusted: frames checked and delivered, invalid ones counted
/// and logged at most once a second, and <c>sys.restart</c> acted on at most once at a time per plugin.
/// </content>
internal sealed partial class HostBus
{
    /// <summary>The largest <c>sys.restart</c> payload read: a JSON array of plugin names.</summary>
    private const int MaxRestartPayloadBytes = 64 * 1024;

    /// <summary>The largest frame from another host delivered: larger ones could not reach a plugin through a default framer anyway.</summary>
    private const int MaxRelayedFrameBytes = FramerOptions.DefaultMaxChunkBytes;

    /// <summary>The longest reason an invalid frame's log entry quotes: parts of it may come from the frame.</summary>
    private const int MaxLoggedReasonLength = 200;

    private const long InvalidLogIntervalMs = 1000;

    private readonly Lock _invalidLock = new();
    private readonly Dictionary<string, RestartState> _restarts = new(StringComparer.Ordinal);
    private long _invalidCount;
    private long _invalidLogged;
    private long _invalidLoggedAt = long.MinValue / 2; // far in the past, without overflowing `now - _invalidLoggedAt`

    /// <summary>Gets the number of frames from other hosts dropped as not valid.</summary>
    internal long InvalidRelayedCount => Interlocked.Read(ref _invalidCount);

    /// <summary>Delivers a frame another host published, unless it is this host's own.</summary>
    /// <param name="frame">The frame.</param>
    /// <param name="channelTopic">The topic the relay's transport delivered it under, if it routes by topic: the frame's own must be the same.</param>
    private void DeliverRelayed(ReadOnlyMemory<byte> frame, string? channelTopic)
    {
        if (frame.Span.StartsWith(_relayPrefix))
        {
            return; // our own (a relay may hand a publisher its own frames), delivered here when it was published: not decoded
        }

        if (frame.Length > MaxRelayedFrameBytes)
        {
            ReportInvalid($"it is {frame.Length} bytes, over {MaxRelayedFrameBytes} (a framer's largest chunk by default)");
            return;
        }

        BusEnvelope envelope;
        try
        {
            envelope = BusWire.ReadRelay(frame);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            ReportInvalid(ex.Message);
            return;
        }

        if (envelope.Origin == HostId)
        {
            return; // our own, delivered here when it was published
        }

        if (channelTopic is not null && !string.Equals(envelope.Topic, channelTopic, StringComparison.Ordinal))
        {
            ReportInvalid($"its topic '{envelope.Topic}' is not the topic of the channel it came on, '{channelTopic}'");
            return;
        }

        lock (_publishLock)
        {
            Deliver(envelope);
        }
    }

    /// <summary>Counts a frame dropped as not valid, and logs the count since the last entry at most once a second.</summary>
    private void ReportInvalid(string reason)
    {
        long count = Interlocked.Increment(ref _invalidCount);
        long now = Environment.TickCount64;
        lock (_invalidLock)
        {
            if (now - _invalidLoggedAt < InvalidLogIntervalMs)
            {
                return;
            }

            // Parts of it (a topic, a channel's name) come from the frame: cut short, and no control characters in the log.
            string shown = string.Create(Math.Min(reason.Length, MaxLoggedReasonLength), reason, static (span, text) =>
            {
                for (int i = 0; i < span.Length; i++)
                {
                    span[i] = char.IsControl(text[i]) ? '?' : text[i];
                }
            });
            BusLog.RelayMessageInvalid(_logger, count - _invalidLogged, count, shown);
            _invalidLogged = count;
            _invalidLoggedAt = now;
        }
    }

    /// <summary>
    /// Restarts the plugins of this host named in a <c>sys.restart</c> payload (a JSON array of names), in the background. A
    /// request for a plugin whose restart has not begun is covered by it; one that comes once it has begun gets one more
    /// restart after it (whatever it changed may be what the new process must read), however many such requests come.
    /// </summary>
    private void RestartNamed(ReadOnlyMemory<byte> payload)
    {
        string[]? names;
        try
        {
            names = payload.Length <= MaxRestartPayloadBytes
                ? JsonSerializer.Deserialize(payload.Span, PluginIpcJsonContext.Default.StringArray)
                : throw new JsonException($"the payload is {payload.Length} bytes, over {MaxRestartPayloadBytes}");
        }
        catch (JsonException ex)
        {
            ReportInvalid($"sys.restart takes a JSON array of plugin names: {ex.Message}");
            return;
        }

        if (names is null || RestartPlugin is not { } restart)
        {
            return;
        }

        foreach (string name in names.Distinct(StringComparer.Ordinal))
        {
            if (name is null || !Links.Any(link => link.Name == name))
            {
                continue;
            }

            lock (_restarts)
            {
                if (_restarts.TryGetValue(name, out RestartState? state))
                {
                    state.Again |= state.Begun;
                    continue;
                }

                _restarts.Add(name, new RestartState());
            }

            _ = Task.Run(() => RestartAsync(name, restart)); // off the publishing thread, which holds the bus's lock
        }
    }

    /// <summary>Restarts <paramref name="name"/>, and again while requests came after a restart began. Never faults.</summary>
    private async Task RestartAsync(string name, Func<string, Task> restart)
    {
        while (true)
        {
            lock (_restarts)
            {
                RestartState state = _restarts[name];
                state.Begun = true;
                state.Again = false;
            }

            BusLog.Restarting(_logger, name);
            try
            {
                await restart(name).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                BusLog.RestartFailed(_logger, name, ex);
            }

            lock (_restarts)
            {
                if (!_restarts[name].Again)
                {
                    _restarts.Remove(name);
                    return;
                }
            }
        }
    }

    /// <summary>Where a plugin's restart for <c>sys.restart</c> stands.</summary>
    private sealed class RestartState
    {
        /// <summary>Gets or sets a value indicating whether the restart has begun: later requests are not covered by it.</summary>
        public bool Begun { get; set; }

        /// <summary>Gets or sets a value indicating whether a request came after it began: one more restart follows.</summary>
        public bool Again { get; set; }
    }
}
