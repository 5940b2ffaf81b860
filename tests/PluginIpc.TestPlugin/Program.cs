using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using PluginIpc;
using PluginIpc.TestContracts;
using Samples;

// The executable that the process tests start. Modes (argv[0]):
//   raw      reads the launch contract, opens the connection, says "started" on stderr and "console says hi" on Console.Out,
//            writes "fd1 says hi" straight to descriptor 1, then echoes its input to its output until end of input; exit 0.
//   exit N   writes one line to stderr and exits with code N at once.
//   hang     never reads and never exits.
//   tree     starts a grandchild in mode hang, writes "grandchild <pid>" to stderr, then hangs.
//   orphan   starts a grandchild in mode hang, writes "grandchild <pid>" to stderr, then exits with code 3, leaving it running.
//   host     starts itself in mode hang through the inherited pipes connector, writes "child <pid>" to stderr and returns without stopping it.
//   env X..  writes "X=<value>" (or "X unset") to stderr for each named variable; exit 0.
//   trace [listen] [json]  a Main-based plugin (name TracePlugin) that handles: whoami, answering "<Activity.Current?.ParentId>|<traceparent
//            header>|<process id>" (empty parts when missing); cwd, answering its working directory; crash, exiting with code 3;
//            typed.move, a typed call taking and answering a point {X, Y}, moved by (1, 1).
//            With "listen" it listens to the PluginIpc ActivitySource, so its handlers run under recorded Server activities.
//            With "json" its typed calls use the json serializer (the default is msgpack).
//   greeter [json] [v2]
//            a Main-based plugin (name GreeterPlugin) with contract targets: IGreeter (Greeter, or IGreeterV2 with "v2": another
//            version of the contract under the same name) and IProbe. With "json" its contracts use the json serializer.
//   bus ...  a Main plugin that uses its bus (see BusPlugin.cs) and its configuration (ConfigCommands.cs).
//   webchannel ...  a Main plugin that records the gateway's WebChannel lifecycle messages and events (see WebChannelPlugin.cs).
//   gateway  a Main plugin for the gateway's tests: blocks until cancelled and says so, big answers, errors with details (see GatewayProbe.cs).
//   main-ignore-stop
//            a Main plugin (name "IgnoreStop", command echo) whose stop hook writes "stop hook entered" to stderr and then
//            never returns, with no grace period limit: the host must kill it.
//   main-slow-stop
//            a Main plugin (name "SlowStop") whose stop hook ignores its token and never returns, with a grace period of
//            200 ms: the plugin exits once that is over.
//   hostile <behaviour>
//            a plugin that misbehaves on purpose (see Hostile.cs): garbage-at-start, garbage-on-request, stop-reading, flood-oneway.
//   plugin-host <framer> <transport> <echoPluginDll | executable> [arguments...]
//            starts EchoPlugin through Plugin ("dotnet exec"), or any other plugin executable with its arguments (a Node.js
//            plugin), writes "plugin <pid>" to stderr, then waits forever.
//   long-line <stderr|stdout> <MiB> <end|hang>
//            writes MiB mebibytes of 'x' with no line break to the named stream, in 64 KiB writes. With end, it then writes
//            "\ndone\n" there and exits 0; with hang, it writes "written" as a line to the other stream and never exits.
const string ProcessName = "PluginIpc.TestPlugin";

string mode = args.Length > 0 ? args[0] : string.Empty;
switch (mode)
{
    case "raw":
        return await RawEchoAsync();
    case "exit" when args.Length > 1 && int.TryParse(args[1], CultureInfo.InvariantCulture, out int code):
        Console.Error.WriteLine($"exiting with {code}");
        return code;
    case "hang":
        Console.Error.WriteLine("hanging");
        await Task.Delay(Timeout.Infinite);
        return 0;
    case "tree":
        return await TreeAsync(exit: false);
    case "orphan":
        return await TreeAsync(exit: true);
    case "host":
        return await HostAsync();
    case "trace":
        return await TraceAsync(args.Skip(1).Contains("listen"), args.Skip(1).Contains("json"));
    case "greeter":
        return await GreeterAsync(args.Skip(1).Contains("json"), args.Skip(1).Contains("v2"));
    case "main-ignore-stop":
        return await IgnoreStopAsync();
    case "main-slow-stop":
        return await SlowStopAsync();
    case "bus":
        return await BusPlugin.RunAsync(args);
    case "webchannel":
        return await WebChannelPlugin.RunAsync(args);
    case "gateway":
        return await GatewayProbe.RunAsync();
    case "hostile" when args.Length > 1:
        return await Hostile.RunAsync(args[1]);
    case "plugin-host" when args.Length > 3:
        return await PluginHostAsync(args[1], Enum.Parse<PluginTransport>(args[2]), args[3], args[4..]);
    case "long-line" when args.Length > 3 && int.TryParse(args[2], CultureInfo.InvariantCulture, out int mebibytes):
        return await LongLineAsync(args[1] == "stdout", mebibytes, args[3] == "hang");
    case "env":
        foreach (string name in args.Skip(1))
        {
            string? value = Environment.GetEnvironmentVariable(name);
            Console.Error.WriteLine(value is null ? $"{name} unset" : $"{name}={value}");
        }

        return 0;
    default:
        Console.Error.WriteLine($"{ProcessName}: unknown mode '{mode}'; expected raw, exit N, hang, tree, host, env, main-ignore-stop, plugin-host or long-line.");
        return 2;
}

static async Task<int> RawEchoAsync()
{
    LaunchContract contract = LaunchContract.ReadOrExit(LaunchVariables.DefaultCookie, ProcessName);
    await using PluginConnection connection = PluginConnection.Open(contract);
    Console.Error.WriteLine("started");
    Console.Out.WriteLine("console says hi");
    using (Stream fd1 = Console.OpenStandardOutput())
    {
        fd1.Write("fd1 says hi\n"u8);
    }

    byte[] buffer = new byte[16 * 1024];
    try
    {
        int read;
        while ((read = await connection.Input.ReadAsync(buffer)) > 0)
        {
            await connection.Output.WriteAsync(buffer.AsMemory(0, read));
            await connection.Output.FlushAsync();
        }
    }
    catch (IOException exception)
    {
        Console.Error.WriteLine($"lost the host: {exception.Message}");
        return 3;
    }

    Console.Error.WriteLine("end of input");
    return 0;
}

static async Task<int> LongLineAsync(bool toStdout, int mebibytes, bool hang)
{
    await using Stream line = toStdout ? Console.OpenStandardOutput() : Console.OpenStandardError();
    byte[] block = new byte[64 * 1024];
    block.AsSpan().Fill((byte)'x');
    for (int i = 0; i < mebibytes * 16; i++)
    {
        await line.WriteAsync(block);
    }

    if (!hang)
    {
        await line.WriteAsync("\ndone\n"u8.ToArray());
        return 0;
    }

    await using Stream other = toStdout ? Console.OpenStandardError() : Console.OpenStandardOutput();
    await other.WriteAsync("written\n"u8.ToArray());
    await Task.Delay(Timeout.Infinite);
    return 0;
}

static async Task<int> TraceAsync(bool listen, bool json)
{
    using var listener = new ActivityListener
    {
        ShouldListenTo = source => listen && source.Name == PluginIpcDiagnostics.ActivitySourceName,
        Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };
    ActivitySource.AddActivityListener(listener);
    var options = new MainOptions { Name = "TracePlugin", Serializer = json ? new JsonPluginSerializer() : null };
    options.Handle<TypedPoint, TypedPoint>("typed.move", static (point, _) => ValueTask.FromResult(new TypedPoint(point.X + 1, point.Y + 1)));
    options.Handle("whoami", static (chunk, _, _) =>
    {
        string parent = Activity.Current?.ParentId ?? string.Empty;
        string header = chunk.Headers is { } headers && headers.TryGetValue("traceparent", out string? value) ? value : string.Empty;
        return ValueTask.FromResult<ReadOnlyMemory<byte>>(Encoding.UTF8.GetBytes($"{parent}|{header}|{Environment.ProcessId}"));
    });
    options.Handle("cwd", static (_, _, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(Encoding.UTF8.GetBytes(Environment.CurrentDirectory)));
    options.Handle("busy-poll", static (_, peer, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(Encoding.UTF8.GetBytes(((Main)peer).BusyPollTime.TotalMicroseconds.ToString(CultureInfo.InvariantCulture))));
    options.Handle("crash", static (_, _, _) =>
    {
        Environment.Exit(3);
        return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
    });
    return await Main.RegisterAsync(options);
}

static async Task<int> GreeterAsync(bool json, bool v2)
{
    Main? main = null;
    var options = new MainOptions
    {
        Name = "GreeterPlugin",
        Serializer = json ? new JsonPluginSerializer() : null,
        OnStart = (started, _) =>
        {
            main = started;
            return Task.CompletedTask;
        },
    };
    if (v2)
    {
        options.AddTarget<IGreeterV2>(new GreeterV2());
    }
    else
    {
        options.AddTarget<IGreeter>(new Greeter("plugin"));
    }

    options.AddTarget<IProbe>(new Probe(() => main!));
    return await Main.RegisterAsync(options);
}

static string[] SelfArguments(string mode)
{
    string entry = Environment.GetCommandLineArgs()[0];
    return entry.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? ["exec", entry, mode] : [mode];
}

static async Task<int> HostAsync()
{
    var info = new PluginProcessStartInfo(Environment.ProcessPath!) { Arguments = SelfArguments("hang") };
    IConnectedPlugin child = await PluginConnectors.For(info.Transport).ConnectAsync(info, NullLogger.Instance, CancellationToken.None);
    Console.Error.WriteLine($"child {child.ProcessId}");
    return 0;
}

static async Task<int> TreeAsync(bool exit)
{
    var startInfo = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
    foreach (string argument in SelfArguments("hang"))
    {
        startInfo.ArgumentList.Add(argument);
    }

    using Process grandchild = Process.Start(startInfo)!;
    Console.Error.WriteLine($"grandchild {grandchild.Id}");
    if (exit)
    {
        return 3;
    }

    await Task.Delay(Timeout.Infinite);
    return 0;
}

static async Task<int> IgnoreStopAsync()
{
    var options = new MainOptions { Name = "IgnoreStop", StopGracePeriod = Timeout.InfiniteTimeSpan };
    options.Handle("echo", static (chunk, _, _) => ValueTask.FromResult(chunk.Buffer));
    options.OnStop = static async (_, _) =>
    {
        await Console.Error.WriteLineAsync("stop hook entered");
        await Console.Error.FlushAsync(CancellationToken.None);
        await Task.Delay(Timeout.Infinite, CancellationToken.None);
    };
    return await Main.RegisterAsync(options);
}

static async Task<int> SlowStopAsync()
{
    var options = new MainOptions { Name = "SlowStop", StopGracePeriod = TimeSpan.FromMilliseconds(200) };
    options.OnStop = static (_, _) => Task.Delay(Timeout.Infinite, CancellationToken.None);
    return await Main.RegisterAsync(options);
}

static async Task<int> PluginHostAsync(string framer, PluginTransport transport, string executable, string[] arguments)
{
    bool dll = executable.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
    var options = new PluginOptions { ExecutablePath = dll ? Environment.ProcessPath! : executable, Framer = framer, Transport = transport, StartTimeout = TimeSpan.FromSeconds(20) };
    if (dll)
    {
        options.Arguments.Add("exec");
        options.Arguments.Add(executable);
    }

    foreach (string argument in arguments)
    {
        options.Arguments.Add(argument);
    }

    await using var plugin = new Plugin(options); // never disposed: the test kills this host with SIGKILL
    await plugin.StartAsync();
    await Console.Error.WriteLineAsync($"plugin {plugin.ProcessId}");
    await Console.Error.FlushAsync();
    await Task.Delay(Timeout.Infinite);
    return 0;
}
