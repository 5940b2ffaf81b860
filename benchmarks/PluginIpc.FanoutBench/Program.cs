using System.Globalization;
using PluginIpc.FanoutBench;

// Usage: PluginIpc.FanoutBench [rounds=7] [messages=30000] [plugins=8] [only=bus|plain]   (the host; it starts the plugins itself)
//        PluginIpc.FanoutBench plugin                                    (one counting plugin)
if (args is ["plugin", ..])
{
    return await CountingPlugin.RunAsync();
}

int Arg(string name, int fallback) =>
    args.FirstOrDefault(arg => arg.StartsWith(name + "=", StringComparison.Ordinal)) is { } value ? int.Parse(value[(name.Length + 1)..], CultureInfo.InvariantCulture) : fallback;

return await Bench.RunAsync(Arg("rounds", 7), Arg("messages", 30000), Arg("plugins", 8), args.FirstOrDefault(arg => arg.StartsWith("only=", StringComparison.Ordinal))?[5..] ?? "");
