// HostedApp: the dependency injection path. It registers PluginIpc in a ServiceCollection, discovers the echo plugin from
// plugins/echo/plugin.json next to the app, calls it, and shows a trace that continues through the plugin: the host calls
// EchoPlugin's "callback", EchoPlugin calls the host's "Repeat", and that handler runs in the trace the host started.
// Exits 0 when all of it worked.
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PluginIpc;

using var traces = new ActivityListener
{
    ShouldListenTo = source => source.Name is PluginIpcDiagnostics.ActivitySourceName or "HostedApp",
    Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    ActivityStopped = activity => Console.WriteLine($"  span {activity.Kind,-8} {activity.DisplayName,-10} trace {activity.TraceId} parent {activity.ParentSpanId}"),
};
ActivitySource.AddActivityListener(traces);
using var source = new ActivitySource("HostedApp");

var services = new ServiceCollection();
services.AddLogging(logging => logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
services.AddPluginIpc(); // discovers plugins in PluginIpcOptions.DefaultPluginFolder: plugins/ next to the app

// The host's handler of EchoPlugin's callback reports the trace it runs in.
ActivityContext? repeatSeen = null;
await using ServiceProvider provider = services.BuildServiceProvider();
IPluginManager manager = provider.GetRequiredService<IPluginManager>();
foreach (PluginDiscoveryError error in manager.DiscoveryErrors)
{
    Console.Error.WriteLine(error.Message);
}

Console.WriteLine($"Plugins: {string.Join(", ", manager.Names)}");
Plugin echo = await manager.GetAsync("echo");
echo.Handle("Repeat", (chunk, _, _) =>
{
    repeatSeen = Activity.Current?.Context;
    return ValueTask.FromResult<ReadOnlyMemory<byte>>(Encoding.UTF8.GetBytes("Response: " + Encoding.UTF8.GetString(chunk.Buffer.Span)));
});
Console.WriteLine($"{echo.Name} runs as process {echo.ProcessId} ({echo.Metadata["description"]})");

string echoed = await echo.CallAsync("echo", "hello through DI");
Console.WriteLine($"echo: {echoed}");

string repeated;
ActivityTraceId traceId;
using (Activity root = source.StartActivity("HostedApp.Run")!)
{
    traceId = root.TraceId;
    repeated = await echo.CallAsync("callback", "abc");
}

Console.WriteLine($"callback: {repeated}");
bool traceContinued = repeatSeen is { } seen && seen.TraceId == traceId;
Console.WriteLine(traceContinued
    ? $"The trace {traceId} went into EchoPlugin and came back to the host's Repeat handler."
    : "The trace did not continue through the plugin.");

bool ok = echoed == "hello through DI" && repeated == "Response: abc" && traceContinued;
Console.WriteLine(ok ? "All worked." : "Something failed.");
return ok ? 0 : 1;
