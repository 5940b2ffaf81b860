using System.Text;

namespace PluginIpc;

/// <summary>
/// The text and typed forms of <see cref="IPluginBus"/>: text is UTF-8; typed values are written in the bus's
/// <see cref="IPluginBus.Serializer"/> format (MessagePack by default), which publishers and subscribers must share. In every
/// typed form a <see cref="string"/> is UTF-8 text and a <c>byte[]</c> the bytes themselves, never serialized, so typed and
/// text forms meet.
/// </summary>
public static class PluginBusExtensions
{
    /// <summary>Publishes <paramref name="text"/> as UTF-8; see <see cref="IPluginBus.PublishAsync"/>.</summary>
    /// <param name="bus">The bus.</param>
    /// <param name="topic">The topic.</param>
    /// <param name="text">The message.</param>
    /// <param name="cancellationToken">Cancels the publish if it has not been handed over yet.</param>
    /// <returns>A task that completes when the message is queued for its subscribers.</returns>
    public static ValueTask PublishAsync(this IPluginBus bus, string topic, string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bus);
        ArgumentNullException.ThrowIfNull(text);
        return bus.PublishAsync(topic, Encoding.UTF8.GetBytes(text), cancellationToken);
    }

    /// <summary>Publishes <paramref name="message"/> in the bus's serializer format; see <see cref="IPluginBus.PublishAsync"/>.</summary>
    /// <typeparam name="T">The message's type.</typeparam>
    /// <param name="bus">The bus.</param>
    /// <param name="topic">The topic.</param>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels the publish if it has not been handed over yet.</param>
    /// <returns>A task that completes when the message is queued for its subscribers.</returns>
    public static ValueTask PublishAsync<T>(this IPluginBus bus, string topic, T message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bus);
        return bus.PublishAsync(topic, BusPayload.Encode(bus.Serializer, message), cancellationToken);
    }

    /// <summary>Runs <paramref name="handler"/> with each message of <paramref name="topic"/> read as a <typeparamref name="T"/>; see <see cref="IPluginBus.SubscribeAsync"/>.</summary>
    /// <typeparam name="T">The messages' type. A message that is not one is logged and skipped.</typeparam>
    /// <param name="bus">The bus.</param>
    /// <param name="topic">The topic.</param>
    /// <param name="handler">Runs for one message at a time, in order.</param>
    /// <param name="cancellationToken">Cancels the subscribing.</param>
    /// <returns>A handle whose disposal unsubscribes.</returns>
    public static ValueTask<IAsyncDisposable> SubscribeAsync<T>(this IPluginBus bus, string topic, Func<T, CancellationToken, ValueTask> handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bus);
        ArgumentNullException.ThrowIfNull(handler);
        return bus.SubscribeAsync(topic, (message, token) => handler(message.Read<T>(), token), cancellationToken);
    }

    /// <summary>Runs <paramref name="handler"/> with each message whose topic matches <paramref name="pattern"/>, read as a <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The messages' type.</typeparam>
    /// <param name="bus">The bus.</param>
    /// <param name="pattern">The pattern; see <see cref="IPluginBus.SubscribePatternAsync"/>.</param>
    /// <param name="handler">Runs for one message at a time, in order.</param>
    /// <param name="cancellationToken">Cancels the subscribing.</param>
    /// <returns>A handle whose disposal unsubscribes.</returns>
    public static ValueTask<IAsyncDisposable> SubscribePatternAsync<T>(this IPluginBus bus, string pattern, Func<T, CancellationToken, ValueTask> handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bus);
        ArgumentNullException.ThrowIfNull(handler);
        return bus.SubscribePatternAsync(pattern, (message, token) => handler(message.Read<T>(), token), cancellationToken);
    }

    /// <summary>Answers the requests of <paramref name="topic"/>: each is read as a <typeparamref name="TRequest"/> and <paramref name="responder"/>'s result is the reply. Plain messages of the topic run it too; their result is dropped.</summary>
    /// <typeparam name="TRequest">The requests' type.</typeparam>
    /// <typeparam name="TResponse">The replies' type.</typeparam>
    /// <param name="bus">The bus.</param>
    /// <param name="topic">The topic.</param>
    /// <param name="responder">Makes the reply.</param>
    /// <param name="cancellationToken">Cancels the subscribing.</param>
    /// <returns>A handle whose disposal unsubscribes.</returns>
    public static ValueTask<IAsyncDisposable> SubscribeAsync<TRequest, TResponse>(this IPluginBus bus, string topic, Func<TRequest, CancellationToken, ValueTask<TResponse>> responder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bus);
        ArgumentNullException.ThrowIfNull(responder);
        return bus.SubscribeAsync(
            topic,
            async (message, token) =>
            {
                TResponse response = await responder(message.Read<TRequest>(), token).ConfigureAwait(false);
                if (message.IsRequest)
                {
                    message.Reply(response);
                }
            },
            cancellationToken);
    }

    /// <summary>
    /// Replies to a request with <paramref name="value"/> in the bus's <see cref="IPluginBus.Serializer"/> format. An extension, not a
    /// member, so that a <c>byte[]</c> or a <c>string</c> always goes to <see cref="BusMessage.Reply(ReadOnlyMemory{byte})"/> or
    /// <see cref="BusMessage.Reply(string)"/> as it is, never serialized.
    /// </summary>
    /// <typeparam name="T">The reply's type.</typeparam>
    /// <param name="message">The request.</param>
    /// <param name="value">The reply.</param>
    /// <returns>See <see cref="BusMessage.Reply(ReadOnlyMemory{byte})"/>.</returns>
    /// <exception cref="InvalidOperationException">The message is not a request, or was replied to already.</exception>
    public static bool Reply<T>(this BusMessage message, T value)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.Reply(BusPayload.Encode(message.Serializer, value));
    }

    /// <summary>Asks with UTF-8 text and returns the reply as text; see <see cref="IPluginBus.RequestAsync"/>.</summary>
    /// <param name="bus">The bus.</param>
    /// <param name="topic">The topic.</param>
    /// <param name="text">The request.</param>
    /// <param name="timeout">How long to wait for a reply.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The reply.</returns>
    public static async Task<string> RequestAsync(this IPluginBus bus, string topic, string text, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bus);
        ArgumentNullException.ThrowIfNull(text);
        BusMessage reply = await bus.RequestAsync(topic, Encoding.UTF8.GetBytes(text), timeout, cancellationToken).ConfigureAwait(false);
        return reply.Text;
    }

    /// <summary>Asks with <paramref name="request"/> and reads the reply as a <typeparamref name="TResponse"/>; see <see cref="IPluginBus.RequestAsync"/>.</summary>
    /// <typeparam name="TRequest">The request's type.</typeparam>
    /// <typeparam name="TResponse">The reply's type.</typeparam>
    /// <param name="bus">The bus.</param>
    /// <param name="topic">The topic.</param>
    /// <param name="request">The request.</param>
    /// <param name="timeout">How long to wait for a reply.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The reply.</returns>
    /// <exception cref="ProtocolException">The reply is not a <typeparamref name="TResponse"/>.</exception>
    public static async Task<TResponse> RequestAsync<TRequest, TResponse>(this IPluginBus bus, string topic, TRequest request, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bus);
        BusMessage reply = await bus.RequestAsync(topic, BusPayload.Encode(bus.Serializer, request), timeout, cancellationToken).ConfigureAwait(false);
        return reply.Read<TResponse>();
    }

    /// <summary>Asks every subscriber with UTF-8 text and returns their replies as text; see <see cref="IPluginBus.RequestAllAsync"/>.</summary>
    /// <param name="bus">The bus.</param>
    /// <param name="topic">The topic.</param>
    /// <param name="text">The request.</param>
    /// <param name="timeout">How long to gather replies.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The replies, in the order they came.</returns>
    public static async Task<IReadOnlyList<string>> RequestAllAsync(this IPluginBus bus, string topic, string text, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bus);
        ArgumentNullException.ThrowIfNull(text);
        IReadOnlyList<BusMessage> replies = await bus.RequestAllAsync(topic, Encoding.UTF8.GetBytes(text), timeout, cancellationToken).ConfigureAwait(false);
        return [.. replies.Select(reply => reply.Text)];
    }

    /// <summary>Asks every subscriber with <paramref name="request"/> and reads their replies as <typeparamref name="TResponse"/>; see <see cref="IPluginBus.RequestAllAsync"/>.</summary>
    /// <typeparam name="TRequest">The request's type.</typeparam>
    /// <typeparam name="TResponse">The replies' type.</typeparam>
    /// <param name="bus">The bus.</param>
    /// <param name="topic">The topic.</param>
    /// <param name="request">The request.</param>
    /// <param name="timeout">How long to gather replies.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The replies, in the order they came.</returns>
    /// <exception cref="ProtocolException">A reply is not a <typeparamref name="TResponse"/>.</exception>
    public static async Task<IReadOnlyList<TResponse>> RequestAllAsync<TRequest, TResponse>(this IPluginBus bus, string topic, TRequest request, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bus);
        IReadOnlyList<BusMessage> replies = await bus.RequestAllAsync(topic, BusPayload.Encode(bus.Serializer, request), timeout, cancellationToken).ConfigureAwait(false);
        return [.. replies.Select(reply => reply.Read<TResponse>())];
    }
}
