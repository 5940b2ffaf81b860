using System.Globalization;
using PluginIpc.RedisBench;

// Usage: PluginIpc.RedisBench [rounds=5] [pings=2000] [messages=50000]   (A; it starts redis-server and B itself)
//        PluginIpc.RedisBench peer REDIS_CONFIGURATION                      (B)
if (args is ["peer", string redis])
{
    await Peer.RunAsync(redis);
    return 0;
}

int Arg(string name, int fallback) =>
    args.FirstOrDefault(arg => arg.StartsWith(name + "=", StringComparison.Ordinal)) is { } value ? int.Parse(value[(name.Length + 1)..], CultureInfo.InvariantCulture) : fallback;

return await Bench.RunAsync(Arg("rounds", 5), Arg("pings", 2000), Arg("messages", 50000));
