using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace PluginIpc.AspNetCore.Tests;

/// <summary>Sends and receives JSON text messages on a client WebSocket, with timeouts.</summary>
internal static class WebSocketClient
{
    public static async Task SendAsync(this ClientWebSocket socket, string text)
    {
        using var timeout = new CancellationTokenSource(GatewayApp.Wait);
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, timeout.Token);
    }

    /// <summary>Receives one whole message: its JSON, or <see langword="null"/> when the server closed (see CloseStatus).</summary>
    public static async Task<JsonElement?> ReceiveJsonAsync(this ClientWebSocket socket)
    {
        using var timeout = new CancellationTokenSource(GatewayApp.Wait);
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return JsonDocument.Parse(message.ToArray()).RootElement.Clone();
            }
        }
    }

    /// <summary>Receives messages until the server's close frame (or <paramref name="atMost"/> messages); returns how many came before it.</summary>
    public static async Task<int> ReceiveUntilCloseAsync(this ClientWebSocket socket, int atMost = int.MaxValue)
    {
        using var timeout = new CancellationTokenSource(GatewayApp.Wait);
        var buffer = new byte[64 * 1024];
        int messages = 0;
        while (true)
        {
            WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return messages;
            }

            if (result.EndOfMessage && ++messages == atMost)
            {
                return messages;
            }
        }
    }
}
