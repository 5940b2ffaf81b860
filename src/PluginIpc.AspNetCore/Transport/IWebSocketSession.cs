namespace PluginIpc.AspNetCore.Transport;

/// <summary>A dialect's side of one WebSocket connection: what it does with each message, and what it holds open.</summary>
internal interface IWebSocketSession : IAsyncDisposable
{
    /// <summary>Gets whether the session has calls in flight or subscriptions: then the connection is not idle.</summary>
    bool IsBusy { get; }

    /// <summary>Handles one complete text message. <paramref name="message"/> is reused after the returned task completes; long work must not wait here.</summary>
    ValueTask OnMessageAsync(ReadOnlyMemory<byte> message);
}
