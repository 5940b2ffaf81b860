// WebGateway: EchoPlugin exposed to outside clients through the plugin gateway (JSON-RPC 2.0 over HTTP and WebSocket), on a
// free loopback port with a bearer token generated at start. It prints the URL, the token and a curl line that calls it.
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
using WebGateway;

bool selfTest = args is ["--self-test"];
if (!selfTest && args.Length > 0)
{
    Console.Error.WriteLine("Usage: WebGateway [--self-test]");
    return 2;
}

// 32 random bytes, base64url: what a client sends as "Authorization: Bearer <token>" (or ?access_token= on a WebSocket).
string token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
builder.WebHost.UseUrls("http://127.0.0.1:0"); // a free loopback port
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddPlugin("echo", o =>
{
    o.ExecutablePath = EchoPluginLocation.DotnetPath;
    o.Arguments.Add("exec");
    o.Arguments.Add(EchoPluginLocation.DllPath);
});
builder.Services.AddPluginGateway(o =>
{
    // Only these commands of EchoPlugin; its "crash" and "stdout" stay private.
    o.Expose("echo", "echo", "fail", "sleep", "bench.move", "IGreeter.Hello", "IGreeter.Move");
    o.BearerToken = token;
    o.AllowedTopics.Add("demo.*");
});

WebApplication app = builder.Build();
app.MapPluginGateway("/plugins");
await app.StartAsync();

var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
Uri rpc = new(address, "/plugins/rpc");
Uri ws = new UriBuilder(address) { Scheme = "ws", Path = "/plugins/ws" }.Uri;
Console.WriteLine("WebGateway: EchoPlugin through the plugin gateway, JSON-RPC 2.0 (docs/GATEWAY.md).");
Console.WriteLine($"  HTTP:      POST {rpc}");
Console.WriteLine($"  WebSocket: {ws}  (header Authorization, or ?access_token=<token>)");
Console.WriteLine($"  Token:     {token}");
Console.WriteLine("Call it:");
Console.WriteLine($$"""  curl -s -H "Authorization: Bearer {{token}}" -H "Content-Type: application/json" -d '{"jsonrpc":"2.0","id":1,"method":"echo/echo","params":["hi"]}' {{rpc}}""");

int exitCode = 0;
if (selfTest)
{
    exitCode = await new SelfTest(app.Services, rpc, ws, token).RunAsync();
}
else
{
    Console.WriteLine("Ctrl+C stops it.");
    await app.WaitForShutdownAsync();
}

await app.StopAsync();
await app.DisposeAsync();
return exitCode;
