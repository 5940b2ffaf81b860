using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PluginIpc;

// A second host process for the Redis bus tests: AddPluginIpc + AddPluginIpcRedisBus with one TestPlugin "bus" plugin.
// Arguments: REDIS_CONFIGURATION DOTNET_PATH TESTPLUGIN_DLL PLUGIN_NAME [policy=Buffer|Fail] [buffer=N] [sub=TOPIC]... [hostsub=TOPIC]...
// Writes lines: "ready", "seen {plugin-report}" (what its plugin received), "host-seen {topic}|{seq}|{missed}|{publisher}|{text}|{origin}"
// (what host code subscribed with hostsub= received), "log {EventName} {message}" (the bus's and relay's logs), and for each
// command "done {command}" or "failed {command} {ExceptionType}: {message}". Commands on stdin, one a line:
// "publish TOPIC TEXT" (host code), "plugin-publish TOPIC TEXT" (its plugin), "quit". It exits when stdin closes.
var output = new Lock();
void WriteLine(string line)
{
    lock (output)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }
}

string redis = args[0], dotnet = args[1], pluginDll = args[2], pluginName = args[3];
string? Value(string key) => args.Skip(4).FirstOrDefault(arg => arg.StartsWith(key + "=", StringComparison.Ordinal))?[(key.Length + 1)..];
IEnumerable<string> Values(string key) => args.Skip(4).Where(arg => arg.StartsWith(key + "=", StringComparison.Ordinal)).Select(arg => arg[(key.Length + 1)..]);

var services = new ServiceCollection();
services.AddLogging(logging => logging.AddProvider(new PluginIpc.Redis.TestHost.LineLoggerProvider(WriteLine)));
services.AddPluginIpc();
services.AddPluginIpcRedisBus(redis, options =>
{
    options.OutagePolicy = Enum.Parse<RedisOutagePolicy>(Value("policy") ?? nameof(RedisOutagePolicy.Buffer));
    options.OutageBufferSize = int.Parse(Value("buffer") ?? "10000", CultureInfo.InvariantCulture);
});
services.AddPlugin(pluginName, options =>
{
    options.ExecutablePath = dotnet;
    foreach (string argument in (string[])["exec", pluginDll, "bus", $"name={pluginName}", .. Values("sub").Select(topic => $"sub={topic}")])
    {
        options.Arguments.Add(argument);
    }
}).Setup((plugin, _) => plugin.Handle("bus.seen", (chunk, _, _) =>
{
    WriteLine("seen " + System.Text.Encoding.UTF8.GetString(chunk.Buffer.Span));
    return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
}));

await using ServiceProvider provider = services.BuildServiceProvider();
IPluginBus bus = provider.GetRequiredService<IPluginBus>();
foreach (string topic in Values("hostsub"))
{
    await bus.SubscribeAsync(topic, (message, _) =>
    {
        WriteLine($"host-seen {message.Topic}|{message.Sequence}|{message.Missed}|{message.Publisher}|{message.Text}|{message.Origin}");
        return ValueTask.CompletedTask;
    });
}

Plugin plugin = await provider.GetRequiredService<IPluginManager>().GetAsync(pluginName);
WriteLine("ready");
while (Console.In.ReadLine() is { } line)
{
    string[] parts = line.Split(' ', 3);
    try
    {
        switch (parts[0])
        {
            case "publish":
                await bus.PublishAsync(parts[1], parts[2]);
                break;
            case "plugin-publish":
                await plugin.CallAsync("publish", $"{parts[1]}|{parts[2]}");
                break;
            case "quit":
                return 0;
            default:
                throw new InvalidOperationException("unknown command");
        }

        WriteLine($"done {line}");
    }
    catch (Exception ex)
    {
        WriteLine($"failed {line} {ex.GetType().Name}: {ex.Message.ReplaceLineEndings(" ")}");
    }
}

return 0;
