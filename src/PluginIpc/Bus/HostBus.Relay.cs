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

    private static readonly long s_invalidLogIntervalMs = 1000;

    private readonly Lock _invalidLock = new();
    private readonly HashSet<string> _restartsPending = new(StringComparer.Ordinal);
    private long _invalidCount;
    private long _invalidLogged;
    private long _invalidLoggedAt = long.MinValue;

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
            if (now - _invalidLoggedAt < s_invalidLogIntervalMs)
            {
                return;
            }

            string shown = reason.Length <= MaxLoggedReasonLength ? reason : string.Concat(reason.AsSpan(0, MaxLoggedReasonLength), "…");
            BusLog.RelayMessageInvalid(_logger, count - _invalidLogged, count, shown);
            _invalidLogged = count;
            _invalidLoggedAt = now;
        }
    }

    /// <summary>
    /// Restarts the plugins of this host named in a <c>sys.restart</c> payload (a JSON array of names), in the background. A
    /// plugin whose restart is still pending or running is not restarted again: a flood of requests costs one restart.
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

            lock (_restartsPending)
            {
                if (!_restartsPending.Add(name))
                {
                    continue;
                }
            }

            BusLog.Restarting(_logger, name);
            _ = Task.Run(() => restart(name)).ContinueWith(
                (task, state) =>
                {
                    string restarted = (string)state!;
                    lock (_restartsPending)
                    {
                        _restartsPending.Remove(restarted);
                    }

                    if (task.IsFaulted)
                    {
                        BusLog.RestartFailed(_logger, restarted, task.Exception!.InnerException!);
                    }
                },
                name,
                CancellationToken.None,
                TaskContinuationOptions.None,
                TaskScheduler.Default);
        }
    }
}
