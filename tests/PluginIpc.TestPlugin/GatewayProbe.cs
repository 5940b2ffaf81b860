using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using PluginIpc;

/// <summary>
/// Mode <c>gateway</c>: a Main plugin (name GatewayProbe) that lets the gateway's tests see from the plugin's side what the
/// gateway did. Commands, text in and text out:
/// <c>block TAG</c> marks TAG started, waits until the host cancels it, marks TAG cancelled and answers CANCELLED;
/// <c>started TAG</c> and <c>cancelled TAG</c> wait (at most 10 s) for that mark and answer "started"/"cancelled", or "not started"/"not cancelled";
/// <c>big N</c> answers N bytes of 'x', <c>big N binary</c> N bytes of 0xFF (not UTF-8);
/// <c>fail TEXT</c> throws a RemoteException with code E1001 and details <c>{"id": TEXT, "field": "title"}</c>;
/// <c>publish TOPIC|TEXT</c> publishes TEXT on the bus and answers "published";
/// <c>stderr TEXT</c> writes TEXT as a line to stderr and answers "written"; its metadata has a <c>note</c> with HTML in it;
/// <c>log LEVEL|TEXT</c> logs TEXT (as it is, HTML and all) at LEVEL (a <c>LogLevel</c> name) through the host's logger, answers "logged";
/// <c>nan</c> answers the msgpack value <c>[1, NaN]</c> (a double JSON cannot write), whatever it is sent.
/// </summary>
internal static class GatewayProbe
{
    private static readonly TimeSpan MarkWait = TimeSpan.FromSeconds(10);
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> s_started = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> s_cancelled = new(StringComparer.Ordinal);

    public static async Task<int> RunAsync()
    {
        Main? main = null;
        var options = new MainOptions
        {
            Name = "GatewayProbe",
            OnStart = (started, _) =>
            {
                main = started;
                return Task.CompletedTask;
            },
        };
        options.Handle("block", static async (chunk, _, cancellationToken) =>
        {
            string tag = Text(chunk);
            Mark(s_started, tag).TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Mark(s_cancelled, tag).TrySetResult();
                throw new RemoteException(ErrorCodes.Cancelled, $"block {tag} was cancelled.");
            }

            return ReadOnlyMemory<byte>.Empty;
        });
        options.Handle("started", static (chunk, _, cancellationToken) => WaitForAsync(s_started, Text(chunk), "started", cancellationToken));
        options.Handle("cancelled", static (chunk, _, cancellationToken) => WaitForAsync(s_cancelled, Text(chunk), "cancelled", cancellationToken));
        options.Handle("nan", static (_, _, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(new byte[] { 0x92, 0x01, 0xCB, 0x7F, 0xF8, 0, 0, 0, 0, 0, 0 }));
        options.Handle("big", static (chunk, _, _) =>
        {
            string[] parts = Text(chunk).Split(' ');
            byte[] answer = new byte[int.Parse(parts[0], CultureInfo.InvariantCulture)];
            answer.AsSpan().Fill(parts is [_, "binary"] ? (byte)0xFF : (byte)'x');
            return ValueTask.FromResult<ReadOnlyMemory<byte>>(answer);
        });
        options.Handle("fail", static (chunk, _, _) =>
        {
            JsonElement details = JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["id"] = Text(chunk), ["field"] = "title" });
            throw new RemoteException("E1001", "not found on purpose", details);
        });
        options.Handle("publish", async (chunk, _, cancellationToken) =>
        {
            string[] parts = Text(chunk).Split('|', 2);
            await main!.Bus.PublishAsync(parts[0], parts[1], cancellationToken);
            return "published"u8.ToArray();
        });
        options.Metadata["note"] = "<b>bold</b><img src=x onerror=\"window.pwned = 3\">";
        options.Handle("stderr", static (chunk, _, _) =>
        {
            Console.Error.WriteLine(Text(chunk));
            Console.Error.Flush();
            return ValueTask.FromResult<ReadOnlyMemory<byte>>("written"u8.ToArray());
        });
        options.Handle("log", (chunk, _, _) =>
        {
            string[] parts = Text(chunk).Split('|', 2);
            var level = Enum.Parse<Microsoft.Extensions.Logging.LogLevel>(parts[0]);
            main!.CreateLogger("Probe").Log(level, new Microsoft.Extensions.Logging.EventId(1), parts[1], null, static (text, _) => text);
            return ValueTask.FromResult<ReadOnlyMemory<byte>>("logged"u8.ToArray());
        });
        return await Main.RegisterAsync(options);
    }

    private static string Text(Chunk chunk) => Encoding.UTF8.GetString(chunk.Buffer.Span);

    private static TaskCompletionSource Mark(ConcurrentDictionary<string, TaskCompletionSource> marks, string tag) =>
        marks.GetOrAdd(tag, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private static async ValueTask<ReadOnlyMemory<byte>> WaitForAsync(ConcurrentDictionary<string, TaskCompletionSource> marks, string tag, string what, CancellationToken cancellationToken)
    {
        try
        {
            await Mark(marks, tag).Task.WaitAsync(MarkWait, cancellationToken);
            return Encoding.UTF8.GetBytes(what);
        }
        catch (TimeoutException)
        {
            return Encoding.UTF8.GetBytes("not " + what);
        }
    }
}
