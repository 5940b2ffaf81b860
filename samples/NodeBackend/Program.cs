// NodeBackend: the host of a resident Node.js backend (process.js, written with the pluginipc npm package). It gives the
// backend a free port, starts it, waits until its handler is ready, exchanges bridge messages, fetches a page from its
// HTTP server and calls its IGreeter, then stops it.
//   (cd src/pluginipc-node && npm ci) && (cd samples/NodeBackend && npm ci)
//   dotnet run --project samples/NodeBackend [-- <path of node>]
// Exit code: 0 if every step worked, 1 if one failed.
using System.Net;
using System.Net.Sockets;
using PluginIpc;
using Samples;

string node = args.Length > 0 ? args[0] : "node";
string folder = FindBackendFolder();
if (!Directory.Exists(Path.Combine(folder, "node_modules", "pluginipc")))
{
    Console.Error.WriteLine($"NodeBackend: run 'npm ci' in src/pluginipc-node, then in {folder}, first.");
    return 1;
}

int port = FreePort();
var options = new PluginOptions { Name = "NodeBackend", ExecutablePath = node, WorkingDirectory = folder };
options.Arguments.Add("process.js");
options.Environment["NODE_BACKEND_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);

await using var plugin = new Plugin(options);
using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
await plugin.StartAsync(timeout.Token);
Console.WriteLine($"ready: {plugin.Name} {plugin.Metadata["version"]} as process {plugin.ProcessId}");

// The bridge: the backend greets on 'connect' and answers "hello".
await using IAsyncEnumerator<string> bridge = plugin.ReadBridgeAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);
Console.WriteLine($"bridge <- {await NextAsync(bridge)}");
await plugin.SendToBridgeAsync("hello", timeout.Token);
Console.WriteLine("bridge -> hello");
Console.WriteLine($"bridge <- {await NextAsync(bridge)}");

// Its HTTP server, on the port this host gave it.
using var http = new HttpClient();
string page = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/index.html"), timeout.Token);
Console.WriteLine($"page: {page[page.IndexOf("<h1>", StringComparison.Ordinal)..(page.IndexOf("</h1>", StringComparison.Ordinal) + 5)]}");

// A typed contract, implemented in JavaScript.
IGreeter greeter = plugin.GetProxy<IGreeter>();
Console.WriteLine($"IGreeter.Hello: {await greeter.HelloAsync(".NET", timeout.Token)}");

await plugin.StopAsync(timeout.Token);
foreach (PluginLogEntry entry in plugin.GetRecentLogs())
{
    Console.WriteLine($"log: [{entry.Level}] {entry.Message}");
}

Console.WriteLine($"stopped with exit code {plugin.LastExit?.ExitCode}");
return plugin.LastExit?.ExitCode ?? 1;

static async Task<string> NextAsync(IAsyncEnumerator<string> messages) =>
    await messages.MoveNextAsync() ? messages.Current : throw new InvalidOperationException("The bridge ended.");

// The folder of process.js: this project's folder, found from the build output (bin/<configuration>/<tfm>/) or the current one.
static string FindBackendFolder()
{
    for (DirectoryInfo? folder = new(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
    {
        if (File.Exists(Path.Combine(folder.FullName, "process.js")))
        {
            return folder.FullName;
        }
    }

    return Directory.GetCurrentDirectory();
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}
