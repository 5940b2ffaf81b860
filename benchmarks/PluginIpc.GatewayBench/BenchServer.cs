using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Reflection;
using System.Runtime;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PluginIpc.GatewayBench;

/// <summary>
/// The server process: Kestrel on a free loopback port with the gateway at /plugins exposing EchoPlugin's echo, a raw
/// WebSocket echo at /raw (same app, no plugin), and two endpoints for the client: GET /bench/stats (this process's
/// allocated bytes and CPU, and the plugin's CPU) and POST /bench/direct?calls=N (N sequential direct Plugin calls, timed
/// here). It then runs the client process (this executable, mode client) and ends with it.
/// </summary>
internal static class BenchServer
{
    private static readonly byte[] s_directAnswer = "hello"u8.ToArray();

    public static async Task<int> RunAsync(int rounds, int calls, int seconds, TimeSpan busyPoll)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddPlugin("echo", o =>
        {
            o.ExecutablePath = DotnetPath();
            o.BusyPollTime = busyPoll;
            o.Arguments.Add("exec");
            o.Arguments.Add(typeof(BenchServer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "GatewayBench.EchoPlugin").Value!);
        });
        builder.Services.AddPluginGateway(o =>
        {
            o.AllowUnauthenticatedLoopback = true;
            o.Expose("echo", "echo");
        });

        await using WebApplication app = builder.Build();
        app.MapPluginGateway("/plugins");
        IApplicationBuilder raw = ((IEndpointRouteBuilder)app).CreateApplicationBuilder().UseWebSockets();
        raw.Run(RawEchoAsync);
        app.Map("/raw", raw.Build());

        Plugin? plugin = null;
        Process? pluginProcess = null;
        app.MapGet("/bench/stats", () =>
        {
            long allocated = GC.GetTotalAllocatedBytes(precise: true);
            return $"{allocated} {CpuMicroseconds(Process.GetCurrentProcess()).ToString(CultureInfo.InvariantCulture)} {CpuMicroseconds(pluginProcess!).ToString(CultureInfo.InvariantCulture)} {JitInfo.GetCompiledMethodCount().ToString(CultureInfo.InvariantCulture)}";
        });
        app.MapPost("/bench/direct", async (int calls) =>
        {
            var samples = new double[calls];
            long before = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < calls; i++)
            {
                long start = Stopwatch.GetTimestamp();
                string answer = await plugin!.CallAsync("echo", "hello");
                samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                if (answer.Length != s_directAnswer.Length)
                {
                    throw new InvalidOperationException("echo answered " + answer);
                }
            }

            long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            var text = new StringBuilder(calls * 8);
            text.Append(allocated.ToString(CultureInfo.InvariantCulture));
            foreach (double sample in samples)
            {
                text.Append(' ').Append(sample.ToString("F2", CultureInfo.InvariantCulture));
            }

            return text.ToString();
        });

        await app.StartAsync();
        plugin = await app.Services.GetRequiredService<IPluginManager>().GetAsync("echo");
        pluginProcess = Process.GetProcessById(plugin.ProcessId!.Value);
        _ = await plugin.CallAsync("echo", "ready");
        string url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Console.WriteLine($"server {Environment.ProcessId}, plugin {pluginProcess.Id}, {url}, cpus={Environment.ProcessorCount}, affinity={AffinityText()}, plugin BusyPollTime={busyPoll.TotalMicroseconds} µs");

        string self = typeof(BenchServer).Assembly.Location;
        var client = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            client.ArgumentList.Add("exec");
            client.ArgumentList.Add(self);
        }

        foreach (string argument in (string[])["client", url, rounds.ToString(CultureInfo.InvariantCulture), calls.ToString(CultureInfo.InvariantCulture), seconds.ToString(CultureInfo.InvariantCulture)])
        {
            client.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(client) ?? throw new InvalidOperationException("the client did not start");
        await process.WaitForExitAsync();
        await app.StopAsync();
        return process.ExitCode;
    }

    private static double CpuMicroseconds(Process process)
    {
        process.Refresh();
        return process.TotalProcessorTime.TotalMicroseconds;
    }

    private static string AffinityText() =>
        OperatingSystem.IsLinux() || OperatingSystem.IsWindows() ? $"0x{(long)Process.GetCurrentProcess().ProcessorAffinity:x}" : "n/a";

    private static string DotnetPath() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath ? hostPath
        : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath!
        : "dotnet";

    /// <summary>The raw floor: each text message received is sent back as it is; no JSON, no plugin.</summary>
    private static async Task RawEchoAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
        byte[] buffer = new byte[64 * 1024];
        while (true)
        {
            int count = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(count), context.RequestAborted);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    return;
                }

                count += result.Count;
            }
            while (!result.EndOfMessage);

            await socket.SendAsync(buffer.AsMemory(0, count), WebSocketMessageType.Text, true, context.RequestAborted);
        }
    }
}
