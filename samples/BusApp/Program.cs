// BusApp: pub/sub between a host and two plugins that do not know each other. OrdersPlugin answers ":orders.place" requests
// and publishes ":orders.created"; InventoryPlugin (held to allow-lists) reacts with ":inventory.reserved", which the host
// prints; the host publishes sys.config.changed (both plugins' hooks run) and asks ":status" of every plugin.
//   dotnet run --project samples/BusApp                          one host, both plugins
//   dotnet run --project samples/BusApp -- --redis               two host processes through Redis: a redis-server of its own
//   dotnet run --project samples/BusApp -- --redis host:port     ... through that Redis
// With --redis, this host runs OrdersPlugin and starts a second host (BusApp --peer host:port) that runs InventoryPlugin.
// Exit code: 0 if all of it worked, 1 if a step failed, 2 for a bad command line, 3 when redis-server is needed but missing.
using BusApp;
using Microsoft.Extensions.DependencyInjection;

const string Usage = """
    Usage: BusApp                    the host and both plugins in this process tree
           BusApp --redis            two hosts sharing the bus through a redis-server that BusApp starts and stops
           BusApp --redis host:port  two hosts sharing the bus through that Redis
    """;

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true; // stop the demo; what it started is stopped on the way out
    stop.Cancel();
};

switch (args)
{
    case []:
        return await RunAsync(redis: null, stop.Token);
    case ["--redis"]:
        return await RunWithRedisAsync(given: null, stop.Token);
    case ["--redis", string address] when !address.StartsWith('-'):
        return await RunWithRedisAsync(address, stop.Token);
    case ["--peer", string address]:
        try
        {
            return await PeerHost.RunAsync(address);
        }
        catch (Exception ex) when (ex is PluginIpc.PluginIpcException or TimeoutException or UnauthorizedAccessException)
        {
            Console.WriteLine($"The peer host failed: {ex.GetType().Name}: {ex.Message}");
            return 1;
        }

    case ["--help" or "-h"]:
        Console.WriteLine(Usage);
        return 0;
    default:
        Console.Error.WriteLine($"BusApp: unknown arguments: {string.Join(' ', args)}");
        Console.Error.WriteLine(Usage);
        return 2;
}

static async Task<int> RunAsync(string? redis, CancellationToken cancellationToken)
{
    try
    {
        await using ServiceProvider host = Shop.CreateHost(redis, redis is null ? ["orders", "inventory"] : ["orders"]);
        await new Demo(host, inventoryOnPeer: redis is not null).RunAsync(cancellationToken);
    }
    catch (Exception ex) when (ex is DemoFailedException or PluginIpc.PluginIpcException or TimeoutException or OperationCanceledException or UnauthorizedAccessException)
    {
        Console.WriteLine(Failed(ex, cancellationToken));
        return 1;
    }

    Console.WriteLine($"{Environment.NewLine}All worked.");
    return 0;
}

static async Task<int> RunWithRedisAsync(string? given, CancellationToken cancellationToken)
{
    RedisServerProcess? server = null;
    if (given is null)
    {
        if (RedisServerProcess.Find() is not { } executable)
        {
            Console.Error.WriteLine(RedisServerProcess.InstallHint);
            return 3;
        }

        server = await RedisServerProcess.StartAsync(executable, cancellationToken);
        Console.WriteLine($"Started redis-server at {server.Configuration}; it stops when BusApp ends.");
    }

    string redis = given ?? server!.Configuration;
    PeerProcess? peer = null;
    try
    {
        Console.WriteLine($"Starting the peer host (BusApp --peer {redis}) with the inventory plugin; this host runs the orders plugin.");
        peer = await PeerProcess.StartAsync(redis, cancellationToken);
        return await RunAsync(redis, cancellationToken);
    }
    catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or OperationCanceledException)
    {
        Console.WriteLine(Failed(ex, cancellationToken));
        return 1;
    }
    finally
    {
        if (peer is not null)
        {
            await peer.DisposeAsync();
        }

        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }
}

static string Failed(Exception ex, CancellationToken cancellationToken) =>
    Environment.NewLine + (ex is OperationCanceledException && cancellationToken.IsCancellationRequested
        ? "Stopped (Ctrl+C)."
        : $"Something failed: {ex.GetType().Name}: {ex.Message}");
