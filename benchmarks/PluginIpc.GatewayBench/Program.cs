using System.Globalization;
using PluginIpc.GatewayBench;

// Usage: PluginIpc.GatewayBench [rounds=5] [calls=2000] [seconds=2] [busypoll=0]   the server: Kestrel, the gateway, EchoPlugin; it starts the client
//        (busypoll: the plugin's BusyPollTime in µs, for the host and the plugin; 0 = off, the default)
//        PluginIpc.GatewayBench client <base url> rounds calls seconds   the client process (started by the server)
if (args is ["client", string url, string rounds, string calls, string seconds])
{
    return await BenchClient.RunAsync(new Uri(url), int.Parse(rounds, CultureInfo.InvariantCulture), int.Parse(calls, CultureInfo.InvariantCulture), int.Parse(seconds, CultureInfo.InvariantCulture));
}

int Arg(string name, int fallback) =>
    args.FirstOrDefault(arg => arg.StartsWith(name + "=", StringComparison.Ordinal)) is { } value ? int.Parse(value[(name.Length + 1)..], CultureInfo.InvariantCulture) : fallback;

return await BenchServer.RunAsync(Arg("rounds", 5), Arg("calls", 2000), Arg("seconds", 2), TimeSpan.FromMicroseconds(Arg("busypoll", 0)));
