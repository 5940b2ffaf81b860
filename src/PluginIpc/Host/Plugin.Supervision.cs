namespace PluginIpc;

/// <content>
/// Watching the current process (pings, exits, a closed channel), naming the first cause of its end, and restarting it per policy.
/// </content>
public sealed partial class Plugin
{
    // A bound on a real process's death after SIGKILL and the reading of its output (5 s): on the real clock.
    private static readonly TimeSpan s_killTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Watches one process: pings it, and when it goes away, reports it and restarts per policy.</summary>
    private async Task SuperviseAsync(PluginInstance instance)
    {
        CancellationToken lifetime = _lifetime.Token;
        Exception reason = await WatchAsync(instance, lifetime).ConfigureAwait(false);
        if (lifetime.IsCancellationRequested)
        {
            return; // StopAsync owns the rest.
        }

        try
        {
            // StopAsync cancels the lifetime before it takes the lock: this wait must give way to it.
            await _lifecycle.WaitAsync(lifetime).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            if (lifetime.IsCancellationRequested || !ReferenceEquals(Volatile.Read(ref _current), instance))
            {
                return;
            }

            Volatile.Write(ref _current, null);
            Volatile.Write(ref _ready, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            SetState(PluginState.Disconnected, reason);
            await instance.DisposeAsync().ConfigureAwait(false);
            int exitCode = instance.Process.HasExited ? await instance.Process.Exited.ConfigureAwait(false) : -1;
            RaiseExited(instance.Process.ProcessId, exitCode, expected: false, reason);
            PluginLog.Crashed(_logger, Name, instance.Process.ProcessId, exitCode, reason);

            while (TryReserveRestart(out TimeSpan delay))
            {
                Task backoff;
                try
                {
                    // Armed before the state says Restarting, so whoever sees that state finds the backoff's timer already waiting.
                    backoff = Task.Delay(delay, _options.TimeProvider, lifetime);
                }
                catch (Exception ex) when (ex is ArgumentOutOfRangeException)
                {
                    reason = ex; // a delay too long for a timer: the plugin fails for good rather than hang in Disconnected
                    break;
                }

                SetState(PluginState.Restarting, reason);
                try
                {
                    await backoff.ConfigureAwait(false);
                    PluginInstance next = await LaunchAsync(lifetime).ConfigureAwait(false);
                    Interlocked.Increment(ref _restartCount);
                    PluginIpcMetrics.For(_options.MeterFactory).RecordRestart(Name);
                    BecomeRunning(next);
                    PluginLog.Restarted(_logger, Name, next.Process.ProcessId, RestartCount);
                    return;
                }
                catch (OperationCanceledException) when (lifetime.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    PluginLog.RestartFailed(_logger, Name, ex);
                    reason = ex;
                }
            }

            SetState(PluginState.Failed, reason);
            Volatile.Read(ref _ready).TrySetObservedException(reason is ChannelClosedException ? reason : new ChannelClosedException($"Plugin '{Name}' failed: {reason.Message}", reason));
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Returns why the instance went away: its channel closed, its process exited, or it stopped answering pings.</summary>
    private async Task<Exception> WatchAsync(PluginInstance instance, CancellationToken lifetime)
    {
        using var stopPinging = CancellationTokenSource.CreateLinkedTokenSource(lifetime);
        Task pinging = _options.PingInterval == Timeout.InfiniteTimeSpan ? Task.Delay(Timeout.Infinite, stopPinging.Token) : PingLoopAsync(instance, stopPinging.Token);
        Task ended = await Task.WhenAny(instance.Channel.Completion, instance.Process.Exited, pinging).ConfigureAwait(false);
        await stopPinging.CancelAsync().ConfigureAwait(false);
        if (lifetime.IsCancellationRequested)
        {
            return new ChannelClosedException($"Plugin '{Name}' is stopping."); // StopAsync owns the process now.
        }
        if (ended == pinging && pinging.IsCompletedSuccessfully)
        {
            // Hung: unanswered pings. Kill it and treat it as crashed, for that reason rather than what the kill breaks.
            instance.FirstCause = new TimeoutException($"Plugin '{Name}' did not answer a ping within {_options.PingTimeout}; it was killed.");
            await KillBoundedAsync(instance).ConfigureAwait(false);
        }

        // The process and the channel end together; give the other one a moment to follow (real I/O: on the real clock).
        await Task.WhenAll(instance.Channel.Completion, instance.Process.Exited).WaitAsync(TimeSpan.FromSeconds(2), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!instance.Process.HasExited)
        {
            await KillBoundedAsync(instance).ConfigureAwait(false);
        }

        return instance.Channel.CloseReason ?? instance.FirstCause ?? new ChannelClosedException($"Plugin '{Name}' closed its connection.");
    }

    /// <summary>Pings until a ping goes unanswered (the task then completes) or the token fires (the task is cancelled).</summary>
    private async Task PingLoopAsync(PluginInstance instance, CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(_options.PingInterval, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
            try
            {
                await instance.Channel.PingAsync(_options.PingTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                PluginLog.PingTimedOut(_logger, Name, instance.Process.ProcessId, _options.PingTimeout);
                return;
            }
            catch (ChannelClosedException)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false); // the channel's completion reports it
            }
            catch (RemoteException)
            {
                // It answered, with an error (a peer of another implementation, closing): alive, so pinging goes on.
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // Not a sign of a hang: a health check that breaks must not get a healthy plugin killed.
                PluginLog.PingFailed(_logger, Name, instance.Process.ProcessId, ex);
            }
        }
    }

    /// <summary>Kills the instance's process tree and waits for its exit, for at most <see cref="s_killTimeout"/>.</summary>
    private async Task KillBoundedAsync(PluginInstance instance)
    {
        try
        {
            // A kill that failed (logged where it failed) must not hold supervision, and every call waiting on it, forever.
            await instance.Process.KillAsync(CancellationToken.None).WaitAsync(s_killTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            PluginLog.KillTimedOut(_logger, Name, instance.Process.ProcessId, s_killTimeout);
        }
    }

    private bool TryReserveRestart(out TimeSpan delay)
    {
        RestartPolicy policy = _options.RestartPolicy;
        TimeProvider clock = _options.TimeProvider;
        long now = clock.GetTimestamp();
        while (_restarts.Count > 0 && clock.GetElapsedTime(_restarts.Peek(), now) > policy.Window)
        {
            _restarts.Dequeue();
        }

        if (_restarts.Count >= policy.MaxRestarts)
        {
            delay = default;
            return false;
        }

        _restarts.Enqueue(now);
        delay = policy.DelayFor(_restarts.Count);
        return true;
    }

    private async Task<Exception> ResolveExitAsync(PluginInstance instance, Exception reason)
    {
        // The plugin closed its end (or broke the protocol): close ours as well. A plugin that is stopping waits for the end
        // of its input before it exits; without this, it and this wait held each other up until this one timed out.
        await instance.Process.CloseOutputAsync().ConfigureAwait(false);

        // A failure this side found (a protocol error, unanswered pings) is the first cause; a broken or closed
        // connection is only what the exit looks like from here.
        Exception cause = instance.FirstCause ?? reason;
        try
        {
            // A bound on the exit of a real process, not a timeout the user set: on the real clock.
            int exitCode = await instance.Process.Exited.WaitAsync(TimeSpan.FromMilliseconds(900)).ConfigureAwait(false);
            return new PluginExitedException(Name, exitCode, instance.Process.StderrTail, cause, causeFirst: cause is not ChannelClosedException);
        }
        catch (TimeoutException)
        {
            return cause; // Still running: the connection failed for another reason.
        }
    }
}
