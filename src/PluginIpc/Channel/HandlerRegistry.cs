using System.Collections.Concurrent;

namespace PluginIpc;

/// <summary>
/// The handlers of one peer: by command, a fallback, and the commands the peer handles itself, which users cannot replace.
/// <see cref="Channel"/>, <see cref="Plugin"/> and <see cref="Main"/> all keep theirs here; a plugin's channel shares the
/// plugin's registry, so handlers registered at any time reach the current process and carry over to restarts.
/// </summary>
/// <remarks>Thread safe. A registration keeps what the channel learns of how its handler runs (see <see cref="SlowRunCounter"/>).</remarks>
internal sealed class HandlerRegistry : IRecognizedMethods
{
    private readonly ConcurrentDictionary<string, HandlerRegistration> _handlers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HandlerRegistration> _reserved = new(StringComparer.Ordinal);
    private HandlerRegistration? _fallback;
    private bool _hasInline;

    /// <summary>Registers a user's handler of <paramref name="cmd"/>, replacing any earlier one.</summary>
    /// <exception cref="ArgumentException">The peer handles <paramref name="cmd"/> itself.</exception>
    public void Handle(string cmd, ChunkHandler handler)
    {
        ArgumentNullException.ThrowIfNull(cmd);
        ArgumentNullException.ThrowIfNull(handler);
        if (_reserved.ContainsKey(cmd))
        {
            throw new ArgumentException($"The command '{cmd}' is handled by the library on this peer and cannot be handled again.", nameof(cmd));
        }

        _handlers[cmd] = new HandlerRegistration(cmd, handler);
    }

    /// <summary>
    /// Registers a user-level handler of one-way messages with <paramref name="cmd"/> that runs on the read loop itself, in
    /// the order chunks arrive, before anything read after it (a progress report before the answer of its call). It must be
    /// quick and must not block: the loop's guard takes reading from code that holds it.
    /// </summary>
    public void HandleInline(string cmd, ChunkHandler handler)
    {
        Handle(cmd, handler);
        _handlers[cmd] = new HandlerRegistration(cmd, handler) { RunsInline = true };
        Volatile.Write(ref _hasInline, true);
    }

    /// <summary>Gets a value indicating whether any handler runs inline, so that the read loop looks for one only then.</summary>
    public bool HasInlineHandlers => Volatile.Read(ref _hasInline);

    /// <summary>Returns the inline handler of <paramref name="cmd"/>, or <see langword="null"/>.</summary>
    public HandlerRegistration? FindInline(string cmd) =>
        _handlers.TryGetValue(cmd, out HandlerRegistration? registration) && registration.RunsInline ? registration : null;

    /// <summary>Registers the handler of a command the peer handles itself: it comes before users' handlers, who cannot replace it.</summary>
    public void HandleReserved(string cmd, ChunkHandler handler)
    {
        _reserved[cmd] = new HandlerRegistration(cmd, handler);
        _handlers.TryRemove(cmd, out _);
    }

    /// <summary>Registers the fallback handler, or removes it.</summary>
    public void HandleFallback(ChunkHandler? handler) => Volatile.Write(ref _fallback, handler is null ? null : new HandlerRegistration("*", handler) { IsFallback = true });

    /// <summary>Returns the handler of <paramref name="cmd"/>: the peer's own, a user's, or the fallback; <see langword="null"/> for none.</summary>
    public HandlerRegistration? Find(string cmd)
    {
        if (_handlers.TryGetValue(cmd, out HandlerRegistration? registration))
        {
            return registration;
        }

        return !_reserved.IsEmpty && _reserved.TryGetValue(cmd, out registration) ? registration : Volatile.Read(ref _fallback);
    }

    /// <inheritdoc/>
    /// <remarks>Only a handler registered for exactly <paramref name="cmd"/> makes it a method, so that a peer's commands cannot grow the metrics.</remarks>
    public string MethodOf(string cmd) =>
        _handlers.TryGetValue(cmd, out HandlerRegistration? registration) || (!_reserved.IsEmpty && _reserved.TryGetValue(cmd, out registration))
            ? registration.Cmd
            : TelemetryNames.Other;

    /// <summary>Copies the users' handlers and fallback into <paramref name="target"/>, each wrapped by <paramref name="wrap"/>.</summary>
    public void CopyTo(HandlerRegistry target, Func<ChunkHandler, ChunkHandler>? wrap = null)
    {
        foreach (KeyValuePair<string, HandlerRegistration> entry in _handlers)
        {
            if (entry.Value.RunsInline)
            {
                target.HandleInline(entry.Key, entry.Value.Handler); // quick by contract: nothing to wait for
            }
            else
            {
                target.Handle(entry.Key, wrap is null ? entry.Value.Handler : wrap(entry.Value.Handler));
            }
        }

        if (Volatile.Read(ref _fallback) is { } fallback)
        {
            target.HandleFallback(wrap is null ? fallback.Handler : wrap(fallback.Handler));
        }
    }
}
