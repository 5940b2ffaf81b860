using System.Diagnostics;
using System.Text;

namespace PluginIpc;

/// <summary>The conveniences of <see cref="IChunkPeer"/>: bytes and text, the peer's default timeout, and ping.</summary>
public static class ChunkPeerExtensions
{
    private static readonly Func<ReceivedChunk, ReadOnlyMemory<byte>> s_buffer = static response => response.Buffer;
    private static readonly Func<ReceivedChunk, string> s_text = static response => Encoding.UTF8.GetString(response.Buffer.Span);
    private static readonly Func<ReceivedChunk, Chunk> s_chunk = static response => response.ToChunk();

    /// <summary>Sends a request and awaits its answer, within the peer's <see cref="IChunkPeer.DefaultCallTimeout"/>.</summary>
    /// <param name="peer">The peer.</param>
    /// <param name="cmd">The command.</param>
    /// <param name="buffer">The request's body.</param>
    /// <param name="cancellationToken">Cancels the call: the other side is told, and the wait ends at once.</param>
    /// <returns>The answer's body.</returns>
    /// <exception cref="RemoteException">The other side answered with an error.</exception>
    /// <exception cref="TimeoutException">No answer came in time.</exception>
    /// <exception cref="ChannelClosedException">The connection closed before the answer came.</exception>
    /// <exception cref="ProtocolException">The request exceeds the framer's limits; nothing was sent.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<ReadOnlyMemory<byte>> CallAsync(this IChunkPeer peer, string cmd, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        CallAsync(peer, cmd, buffer, DefaultTimeout(peer), cancellationToken);

    /// <summary>Sends a request and awaits its answer within <paramref name="timeout"/>.</summary>
    /// <param name="peer">The peer.</param>
    /// <param name="cmd">The command.</param>
    /// <param name="buffer">The request's body.</param>
    /// <param name="timeout">How long to wait for the answer; <see cref="Timeout.InfiniteTimeSpan"/> to wait while the connection lasts.</param>
    /// <param name="cancellationToken">Cancels the call: the other side is told, and the wait ends at once.</param>
    /// <returns>The answer's body.</returns>
    /// <exception cref="RemoteException">The other side answered with an error.</exception>
    /// <exception cref="TimeoutException">No answer came in time.</exception>
    /// <exception cref="ChannelClosedException">The connection closed before the answer came.</exception>
    /// <exception cref="ProtocolException">The request exceeds the framer's limits; nothing was sent.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<ReadOnlyMemory<byte>> CallAsync(this IChunkPeer peer, string cmd, ReadOnlyMemory<byte> buffer, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        Call(peer, cmd, buffer, timeout, s_buffer, cancellationToken);

    /// <summary>
    /// Sends a request and awaits its answer, within the peer's <see cref="IChunkPeer.DefaultCallTimeout"/>, as a
    /// <see cref="PooledBuffer"/>: a large answer arriving over a pipe or stream is read into a rented array, which disposing
    /// the result gives back.
    /// </summary>
    /// <param name="peer">The peer.</param>
    /// <param name="cmd">The command.</param>
    /// <param name="buffer">The request's body.</param>
    /// <param name="cancellationToken">Cancels the call: the other side is told, and the wait ends at once.</param>
    /// <returns>The answer's body, to dispose once it is no longer used.</returns>
    /// <exception cref="RemoteException">The other side answered with an error.</exception>
    /// <exception cref="TimeoutException">No answer came in time.</exception>
    /// <exception cref="ChannelClosedException">The connection closed before the answer came.</exception>
    /// <exception cref="ProtocolException">The request exceeds the framer's limits; nothing was sent.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<PooledBuffer> CallPooledAsync(this IChunkPeer peer, string cmd, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        CallPooledAsync(peer, cmd, buffer, DefaultTimeout(peer), cancellationToken);

    /// <summary>Sends a request and awaits its answer within <paramref name="timeout"/>, as a <see cref="PooledBuffer"/>.</summary>
    /// <inheritdoc cref="CallPooledAsync(IChunkPeer, string, ReadOnlyMemory{byte}, CancellationToken)"/>
    /// <param name="peer">The peer.</param>
    /// <param name="cmd">The command.</param>
    /// <param name="buffer">The request's body.</param>
    /// <param name="timeout">How long to wait for the answer; <see cref="Timeout.InfiniteTimeSpan"/> to wait while the connection lasts.</param>
    /// <param name="cancellationToken">Cancels the call: the other side is told, and the wait ends at once.</param>
    public static Task<PooledBuffer> CallPooledAsync(this IChunkPeer peer, string cmd, ReadOnlyMemory<byte> buffer, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        Call(peer, cmd, buffer, timeout, PooledBuffer.Answer, cancellationToken);

    /// <summary>Sends a request with a UTF-8 text body and awaits its answer as text, within the peer's <see cref="IChunkPeer.DefaultCallTimeout"/>.</summary>
    /// <param name="peer">The peer.</param>
    /// <param name="cmd">The command.</param>
    /// <param name="text">The request's body, sent as UTF-8.</param>
    /// <param name="cancellationToken">Cancels the call: the other side is told, and the wait ends at once.</param>
    /// <returns>The answer's body decoded as UTF-8.</returns>
    /// <exception cref="RemoteException">The other side answered with an error.</exception>
    /// <exception cref="TimeoutException">No answer came in time.</exception>
    /// <exception cref="ChannelClosedException">The connection closed before the answer came.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<string> CallAsync(this IChunkPeer peer, string cmd, string text, CancellationToken cancellationToken = default) =>
        CallAsync(peer, cmd, text, DefaultTimeout(peer), cancellationToken);

    /// <summary>Sends a request with a UTF-8 text body and awaits its answer as text within <paramref name="timeout"/>.</summary>
    /// <param name="peer">The peer.</param>
    /// <param name="cmd">The command.</param>
    /// <param name="text">The request's body, sent as UTF-8.</param>
    /// <param name="timeout">How long to wait for the answer; <see cref="Timeout.InfiniteTimeSpan"/> to wait while the connection lasts.</param>
    /// <param name="cancellationToken">Cancels the call: the other side is told, and the wait ends at once.</param>
    /// <returns>The answer's body decoded as UTF-8.</returns>
    /// <exception cref="RemoteException">The other side answered with an error.</exception>
    /// <exception cref="TimeoutException">No answer came in time.</exception>
    /// <exception cref="ChannelClosedException">The connection closed before the answer came.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<string> CallAsync(this IChunkPeer peer, string cmd, string text, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        text is null
            ? Task.FromException<string>(new ArgumentNullException(nameof(text)))
            : Call(peer, cmd, Encoding.UTF8.GetBytes(text), timeout, s_text, cancellationToken);

    /// <summary>Sends <paramref name="request"/> and awaits the whole answer, within the peer's <see cref="IChunkPeer.DefaultCallTimeout"/>.</summary>
    /// <param name="peer">The peer.</param>
    /// <param name="request">The request; its thread id and direction are ignored and chosen by the peer.</param>
    /// <param name="cancellationToken">Cancels the call: the other side is told, and the wait ends at once.</param>
    /// <returns>The response chunk.</returns>
    /// <exception cref="RemoteException">The other side answered with an error.</exception>
    /// <exception cref="TimeoutException">No answer came in time.</exception>
    /// <exception cref="ChannelClosedException">The connection closed before the answer came.</exception>
    /// <exception cref="ProtocolException">The request exceeds the framer's limits; nothing was sent.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<Chunk> CallAsync(this IChunkPeer peer, Chunk request, CancellationToken cancellationToken = default) =>
        peer.CallAsync(request, DefaultTimeout(peer), cancellationToken);

    /// <summary>Sends a one-way message: the other side handles it and sends no answer.</summary>
    /// <param name="peer">The peer.</param>
    /// <param name="cmd">The command.</param>
    /// <param name="buffer">The body.</param>
    /// <param name="cancellationToken">Cancels the send while nothing of it is written, also while it waits for room because the other side does not read.</param>
    /// <returns>A task that completes when the message is handed to the transport.</returns>
    /// <exception cref="ChannelClosedException">The connection is closed.</exception>
    /// <exception cref="ProtocolException">The message exceeds the framer's limits; nothing was sent.</exception>
    public static ValueTask NotifyAsync(this IChunkPeer peer, string cmd, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(cmd);
        return peer is IChunkCallShortcuts shortcuts
            ? shortcuts.NotifyAsync(cmd, buffer, cancellationToken)
            : peer.NotifyAsync(new Chunk { Direction = Direction.OneWay, Cmd = cmd, Buffer = buffer }, cancellationToken);
    }

    /// <summary>Sends a one-way message with a UTF-8 text body.</summary>
    /// <param name="peer">The peer.</param>
    /// <param name="cmd">The command.</param>
    /// <param name="text">The body, sent as UTF-8.</param>
    /// <param name="cancellationToken">Cancels the send while nothing of it is written, also while it waits for room because the other side does not read.</param>
    /// <returns>A task that completes when the message is handed to the transport.</returns>
    /// <exception cref="ChannelClosedException">The connection is closed.</exception>
    public static ValueTask NotifyAsync(this IChunkPeer peer, string cmd, string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        return NotifyAsync(peer, cmd, Encoding.UTF8.GetBytes(text), cancellationToken);
    }

    /// <summary>Checks that the other side answers, within the peer's <see cref="IChunkPeer.DefaultCallTimeout"/>, and measures the round trip.</summary>
    /// <param name="peer">The peer.</param>
    /// <param name="cancellationToken">Cancels the ping.</param>
    /// <returns>The round-trip time.</returns>
    /// <exception cref="TimeoutException">No answer came in time.</exception>
    /// <exception cref="ChannelClosedException">The connection closed.</exception>
    public static Task<TimeSpan> PingAsync(this IChunkPeer peer, CancellationToken cancellationToken = default) =>
        PingAsync(peer, DefaultTimeout(peer), cancellationToken);

    /// <summary>Checks that the other side answers within <paramref name="timeout"/>, and measures the round trip.</summary>
    /// <param name="peer">The peer.</param>
    /// <param name="timeout">How long to wait for the answer.</param>
    /// <param name="cancellationToken">Cancels the ping.</param>
    /// <returns>The round-trip time.</returns>
    /// <exception cref="TimeoutException">No answer came in time.</exception>
    /// <exception cref="ChannelClosedException">The connection closed.</exception>
    public static async Task<TimeSpan> PingAsync(this IChunkPeer peer, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        await Call(peer, Commands.Ping, ReadOnlyMemory<byte>.Empty, timeout, s_chunk, cancellationToken).ConfigureAwait(false);
        return Stopwatch.GetElapsedTime(start);
    }

    private static TimeSpan DefaultTimeout(IChunkPeer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        return peer.DefaultCallTimeout;
    }

    internal static Task<TAnswer> Call<TAnswer>(IChunkPeer peer, string cmd, ReadOnlyMemory<byte> buffer, TimeSpan timeout, Func<ReceivedChunk, TAnswer> answer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peer);
        return peer is IChunkCallShortcuts shortcuts
            ? shortcuts.CallAsync(cmd, buffer, headers: null, timeout, answer, cancellationToken)
            : CallThroughChunkAsync(peer, cmd, buffer, timeout, answer, cancellationToken);
    }

    private static async Task<TAnswer> CallThroughChunkAsync<TAnswer>(IChunkPeer peer, string cmd, ReadOnlyMemory<byte> buffer, TimeSpan timeout, Func<ReceivedChunk, TAnswer> answer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cmd);
        Chunk response = await peer.CallAsync(new Chunk { Direction = Direction.Request, Cmd = cmd, Buffer = buffer }, timeout, cancellationToken).ConfigureAwait(false);
        return answer(new ReceivedChunk(response));
    }
}
