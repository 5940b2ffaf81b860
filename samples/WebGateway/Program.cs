// WebGateway: EchoPlugin and PagesPlugin exposed to outside clients through the plugin gateway, on a free loopback port with
// a bearer token generated at start: JSON-RPC 2.0 and the WebChannel envelope, over HTTP and WebSocket, and the dashboard
// (a web page with the plugins' state, start/stop/restart and a log query). It prints the URLs,
// the token and curl lines that call each dialect. PagesPlugin keeps its pages (SQLite) and the host its configuration store
// under the local application data folder (PluginIpc/WebGateway); the self-test uses a temporary folder and removes it.
//   dotnet run --project samples/WebGateway                   runs until Ctrl+C
//   dotnet run --project samples/WebGateway -- --self-test    calls itself over HTTP and WebSocket, prints "All worked." and exits
// Exit code: 0 if it ran (or the self-test passed), 1 if a self-test step failed, 2 for a bad command line.
using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PluginIpc;
using WebGateway;

bool selfTest = args is ["--self-test"];
if (!selfTest && args.Length > 0)
{
    Console.Error.WriteLine("Usage: WebGateway [--self-test]");
    return 2;
}

// 32 random bytes, base64url: what a client sends as "Authorization: Bearer <token>" (or ?access_token= on a WebSocket).
string token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

// The dashboard's own token: it starts and stops plugins and reads their logs, which the gateway's clients must not.
string dashboardToken = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

string data = selfTest
    ? Directory.CreateTempSubdirectory("PluginIpc.WebGateway.").FullName
    : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "PluginIpc", "WebGateway");

WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
builder.WebHost.UseUrls("http://127.0.0.1:0"); // a free loopback port
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddPluginIpc(o => o.Config.Directory = Path.Combine(data, "config"));
builder.Services.AddPlugin("echo", o =>
{
    o.ExecutablePath = SamplePlugins.DotnetPath;
    o.Arguments.Add("exec");
    o.Arguments.Add(SamplePlugins.EchoDll);
});
builder.Services.AddPlugin("pages", o =>
{
    o.ExecutablePath = SamplePlugins.DotnetPath;
    o.Arguments.Add("exec");
    o.Arguments.Add(SamplePlugins.PagesDll);
    o.Arguments.Add("--db");
    o.Arguments.Add(Path.Combine(data, "pages.db"));
    o.RestartPolicy = RestartPolicy.OnFailure; // a crash loses nothing it acknowledged: each write commits before its answer
});
builder.Services.AddPluginGateway(o =>
{
    // Only these commands of EchoPlugin; its "crash" and "stdout" stay private.
    o.Expose("echo", "echo", "fail", "sleep", "bench.move", "IGreeter.Hello", "IGreeter.Move");
    o.Expose("pages");
    o.BearerToken = token;
    o.DashboardBearerToken = dashboardToken;
    o.AllowedTopics.Add("demo.*");
});

WebApplication app = builder.Build();
app.MapPluginGateway("/plugins");
app.MapPluginDashboard("/plugins/dashboard"); // a person signs in with the dashboard's token once
await app.StartAsync();

var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
Uri rpc = new(address, "/plugins/rpc");
Uri ws = new UriBuilder(address) { Scheme = "ws", Path = "/plugins/ws" }.Uri;
Uri envelope = new(address, "/plugins/webchannel");
Uri envelopeWs = new UriBuilder(address) { Scheme = "ws", Path = "/plugins/webchannel/ws" }.Uri;
Uri dashboard = new(address, "/plugins/dashboard/");
Console.WriteLine("WebGateway: EchoPlugin and PagesPlugin through the plugin gateway (docs/GATEWAY.md).");
Console.WriteLine($"  JSON-RPC 2.0:         POST {rpc}  or WebSocket {ws}");
Console.WriteLine($"  WebChannel envelope:  POST {envelope}  or WebSocket {envelopeWs}");
Console.WriteLine($"  Dashboard:            {dashboard}");
Console.WriteLine($"  Dashboard token:      {dashboardToken}  (sign in with it; it is not the gateway's)");
Console.WriteLine($"  Token:                {token}");
Console.WriteLine("                        (header Authorization: Bearer <token>, or ?access_token=<token> on a WebSocket)");
Console.WriteLine($"  Data:                 {data}");
Console.WriteLine("Call EchoPlugin (JSON-RPC):");
Console.WriteLine($$"""  curl -s -H "Authorization: Bearer {{token}}" -H "Content-Type: application/json" -d '{"jsonrpc":"2.0","id":1,"method":"echo/echo","params":["hi"]}' {{rpc}}""");
Console.WriteLine("Create a page in PagesPlugin (WebChannel envelope):");
Console.WriteLine($$$"""  curl -s -H "Authorization: Bearer {{{token}}}" -H "Content-Type: application/json" -d '{"requestId":"r1","action":"create","pluginId":"pages","data":{"title":"Hello","content":"First page"}}' {{{envelope}}}""");

int exitCode = 0;
if (selfTest)
{
    exitCode = await new SelfTest(app.Services, rpc, ws, envelope, envelopeWs, token, dashboard, dashboardToken).RunAsync();
}
else
{
    Console.WriteLine("Ctrl+C stops it.");
    await app.WaitForShutdownAsync();
}

await app.StopAsync();
await app.DisposeAsync();
if (selfTest)
{
    Directory.Delete(data, recursive: true);
}

return exitCode;
