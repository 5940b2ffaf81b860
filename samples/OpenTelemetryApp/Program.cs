// OpenTelemetryApp: PluginIpc's metrics and traces through OpenTelemetry in a generic-host application. The host starts the
// echo plugin (plugins/echo/plugin.json next to the app) with AddPluginIpcHostedService, the app makes a few calls (one fails,
// one makes the plugin call back into the host), and OpenTelemetry's console exporter prints the spans as they end and the
// rpc.client.call.duration / rpc.server.call.duration histograms and pluginipc.* counters when the app stops.
// Exits 0 when all of it worked.
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using PluginIpc;

const string AppSource = "OpenTelemetryApp";

HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddPluginIpcHostedService(); // discovers plugins in plugins/ next to the app, starts the atStartup ones
builder.Services.AddOpenTelemetry()
    .WithMetrics(metrics => metrics.AddMeter(PluginIpcDiagnostics.MeterName).AddConsoleExporter())
    .WithTracing(tracing => tracing.AddSource(PluginIpcDiagnostics.ActivitySourceName, AppSource).AddConsoleExporter());

string echoed;
string repeated;
string? failure = null;
using (IHost host = builder.Build())
{
    await host.StartAsync();
    IPluginManager manager = host.Services.GetRequiredService<IPluginManager>();
    Plugin echo = await manager.GetAsync("echo");
    echo.Handle("Repeat", static (chunk, _, _) =>
        ValueTask.FromResult<ReadOnlyMemory<byte>>(Encoding.UTF8.GetBytes("Response: " + Encoding.UTF8.GetString(chunk.Buffer.Span))));

    using var source = new ActivitySource(AppSource);
    using (source.StartActivity("OpenTelemetryApp.Run"))
    {
        echoed = await echo.CallAsync("echo", "hello");
        await echo.CallAsync("echo", "hello again");
        repeated = await echo.CallAsync("callback", "abc"); // the plugin calls the host's Repeat: a server span and duration here
        try
        {
            await echo.CallAsync("no.such.command", "");
        }
        catch (RemoteException ex)
        {
            failure = ex.Code; // recorded with error.type = UNKNOWN_COMMAND
        }
    }

    await host.StopAsync();
} // disposing the host flushes the metrics to the console

bool ok = echoed == "hello" && repeated == "Response: abc" && failure == ErrorCodes.UnknownCommand;
Console.WriteLine(ok ? "All worked." : "Something failed.");
return ok ? 0 : 1;
