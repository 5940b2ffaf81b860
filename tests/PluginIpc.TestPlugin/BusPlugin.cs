using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using PluginIpc;

/// <summary>
/// Mode <c>bus [name=N] [sub=TOPIC]... [psub=PATTERN]... [delay=MS] [queue=N] [json]</c>: a Main plugin that uses <see cref="Main.Bus"/>
/// (<c>{pid}</c> in a start subscription's topic is the process id: a topic per run).
/// It subscribes at start to each sub/psub; every message it receives is reported to the host as a one-way <c>bus.seen</c>,
/// text <c>"{topic}|{sequence}|{missed}|{publisher}|{text}"</c>, and a request is replied <c>"{name}:{text}"</c>. With delay, each
/// message's handler first waits that long (a slow subscriber); queue sets its subscribers' queue capacity. <c>sys.config.changed</c> runs its hook, which reports
/// <c>config.changed</c> with the message's text. The host drives it with requests (text in, text out):
/// publish "topic|text"; subscribe "topic"; psubscribe "pattern"; unsubscribe "topic"; request and requestAll
/// "topic|text|timeoutMs" (requestAll answers the replies sorted, one per line); rawpublish "topic|text" and rawsubscribe "topic"
/// (the wire commands sent directly, past the SDK's allow-list checks); the configuration commands of <see cref="ConfigCommands"/>; crash (exit 3).
/// Failures are answered as errors whose message starts with the exception's type name.
/// </summary>
internal static class BusPlugin
{
    public static async Task<int> RunAsync(string[] args)
    {
        string name = Value(args, "name") ?? "BusPlugin";
        int delay = int.Parse(Value(args, "delay") ?? "0", CultureInfo.InvariantCulture);
        var subscriptions = new ConcurrentDictionary<string, IAsyncDisposable>(StringComparer.Ordinal);
        Main? main = null;

        async ValueTask OnMessage(BusMessage message, CancellationToken cancellationToken)
        {
            if (delay > 0)
            {
                await Task.Delay(delay, cancellationToken);
            }

            await main!.NotifyAsync("bus.seen", $"{message.Topic}|{message.Sequence}|{message.Missed}|{message.Publisher}|{message.Text}", cancellationToken);
            if (message.IsRequest)
            {
                message.Reply($"{name}:{message.Text}");
            }
        }

        async Task Subscribe(string topic, bool pattern)
        {
            IAsyncDisposable handle = pattern ? await main!.Bus.SubscribePatternAsync(topic, OnMessage) : await main!.Bus.SubscribeAsync(topic, OnMessage);
            subscriptions[topic] = handle;
        }

        var options = new MainOptions
        {
            Name = name,
            Serializer = args.Contains("json") ? new JsonPluginSerializer() : null,
            Bus = new PluginBusOptions { QueueCapacity = int.Parse(Value(args, "queue") ?? "1024", CultureInfo.InvariantCulture) },
            OnStart = async (started, _) =>
            {
                main = started;
                foreach (string arg in args)
                {
                    if (arg.StartsWith("sub=", StringComparison.Ordinal) || arg.StartsWith("psub=", StringComparison.Ordinal))
                    {
                        string topic = arg[(arg.IndexOf('=', StringComparison.Ordinal) + 1)..].Replace("{pid}", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
                        await Subscribe(topic, arg[0] == 'p');
                    }
                }
            },
            OnConfigChanged = (started, message, cancellationToken) => started.NotifyAsync("config.changed", message.Text, cancellationToken).AsTask(),
        };
        Handle(options, "publish", async text =>
        {
            string[] parts = text.Split('|', 2);
            await main!.Bus.PublishAsync(parts[0], parts[1]);
            return "ok";
        });
        Handle(options, "subscribe", async topic =>
        {
            await Subscribe(topic, pattern: false);
            return "ok";
        });
        Handle(options, "psubscribe", async pattern =>
        {
            await Subscribe(pattern, pattern: true);
            return "ok";
        });
        Handle(options, "unsubscribe", async topic =>
        {
            if (subscriptions.TryRemove(topic, out IAsyncDisposable? handle))
            {
                await handle.DisposeAsync();
            }

            return "ok";
        });
        Handle(options, "request", async text =>
        {
            string[] parts = text.Split('|', 3);
            return await main!.Bus.RequestAsync(parts[0], parts[1], TimeSpan.FromMilliseconds(int.Parse(parts[2], CultureInfo.InvariantCulture)));
        });
        Handle(options, "requestAll", async text =>
        {
            string[] parts = text.Split('|', 3);
            IReadOnlyList<string> replies = await main!.Bus.RequestAllAsync(parts[0], parts[1], TimeSpan.FromMilliseconds(int.Parse(parts[2], CultureInfo.InvariantCulture)));
            return string.Join('\n', replies.Order(StringComparer.Ordinal));
        });
        Handle(options, "rawpublish", async text =>
        {
            // Past the SDK's own checks, as a plugin in another language could: only the host's checks stand.
            string[] parts = text.Split('|', 2);
            await main!.NotifyAsync(Commands.BusPublish, BusWire.Publish(PluginSerializers.Resolve(main!.Serializer), parts[0], Encoding.UTF8.GetBytes(parts[1])));
            return "ok";
        });
        Handle(options, "rawsubscribe", async topic =>
        {
            await main!.CallAsync(Commands.BusSubscribe, BusWire.Subscription(PluginSerializers.Resolve(main!.Serializer), topic, false));
            return "ok";
        });
        ConfigCommands.Add(options, () => main!);
        options.Handle("crash", static (_, _, _) =>
        {
            Environment.Exit(3);
            return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
        });
        return await Main.RegisterAsync(options);
    }

    private static string? Value(string[] args, string key) =>
        args.FirstOrDefault(arg => arg.StartsWith(key + "=", StringComparison.Ordinal))?[(key.Length + 1)..];

    internal static void Handle(MainOptions options, string cmd, Func<string, Task<string>> handler) =>
        options.Handle(cmd, async (chunk, _, _) =>
        {
            try
            {
                return Encoding.UTF8.GetBytes(await handler(Encoding.UTF8.GetString(chunk.Buffer.Span)));
            }
            catch (RemoteException ex)
            {
                throw new RemoteException(ex.Code, $"{ex.GetType().Name}: {ex.Message}");
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new RemoteException(ErrorCodes.HandlerError, $"{ex.GetType().Name}: {ex.Message}");
            }
        });
}
