using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using PluginIpc;

namespace HostApp;

/// <summary>
/// The demo: starts a plugin, walks through what PluginIpc does step by step, and stops it. The steps every plugin must
/// pass are here; the ones that need the EchoPlugin sample's commands are in Demo.EchoPluginSteps.cs.
/// </summary>
internal sealed partial class Demo
{
    private const int ConcurrentCalls = 100;

    private readonly HostAppOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly StepRunner _steps = new();
    private readonly HostHandlers _handlers = new();
    private PluginExitedEventArgs? _exit;

    public Demo(HostAppOptions options, ILoggerFactory loggerFactory)
    {
        _options = options;
        _loggerFactory = loggerFactory;
    }

    /// <summary>Runs every step and returns the process exit code: 0 only if all of them passed.</summary>
    public async Task<int> RunAsync()
    {
        PluginOptions pluginOptions = CreatePluginOptions();
        Console.WriteLine("PluginIpc HostApp");
        Console.WriteLine($"   plugin:    {string.Join(' ', [pluginOptions.ExecutablePath, .. pluginOptions.Arguments])}{(_options.IsEchoPlugin ? "  (the EchoPlugin sample)" : "")}");
        Console.WriteLine($"   framer:    {_options.Framer}");
        Console.WriteLine($"   transport: {_options.TransportName}");
        Console.WriteLine("   Lines that start with 'log>' are the host's own ILogger output, printed as it happens.");

        // Disposing a Plugin stops it, so the plugin process never outlives this method, whatever happens in the steps.
        await using var plugin = new Plugin(pluginOptions);
        _handlers.Register(plugin);
        plugin.Exited += (_, e) => _exit = e;

        if (!await _steps.RunAsync(
            "Start the plugin process and handshake (GetMetadata)",
            "the plugin starts and answers the handshake",
            () => StartAsync(plugin)))
        {
            StepRunner.Say("The other steps need a running plugin; they were not run.");
            return _steps.Summarize();
        }

        await _steps.RunAsync("Metadata the plugin announced", "\"protocol\": \"1\" and a \"name\"", () => ShowMetadataAsync(plugin));
        await _steps.RunAsync("Call the plugin: echo", "echo(\"hello\") answers \"hello\"", () => EchoAsync(plugin));
        if (_options.IsEchoPlugin)
        {
            await RunEchoPluginStepsAsync(plugin);
        }

        await _steps.RunAsync($"{ConcurrentCalls} concurrent echoes", $"all {ConcurrentCalls} answers match their requests", () => ConcurrentEchoesAsync(plugin));
        await _steps.RunAsync(
            "The plugin's logs (Plugin.GetRecentLogs)",
            _options.IsEchoPlugin ? "the log entry EchoPlugin sent at start, and the line it wrote to its console" : "whatever the plugin logged (any number of entries)",
            () => ShowLogsAsync(plugin));
        await _steps.RunAsync("Stop the plugin", "cmd.stop makes the plugin exit with code 0", () => StopAsync(plugin));
        return _steps.Summarize();
    }

    private PluginOptions CreatePluginOptions()
    {
        var options = new PluginOptions
        {
            Framer = _options.Framer,
            Transport = _options.Transport,
            LoggerFactory = _loggerFactory,
            StartTimeout = TimeSpan.FromSeconds(20),
            CallTimeout = TimeSpan.FromSeconds(10),
        };

        if (_options.IsEchoPlugin)
        {
            // EchoPlugin is a framework-dependent dll: run it with the same dotnet that runs HostApp.
            options.Name = "EchoPlugin"; // the name in logs and errors; the plugin's log category is PluginIpc.Plugins.EchoPlugin
            options.ExecutablePath = EchoPluginLocation.DotnetPath;
            options.Arguments.Add("exec");
            options.Arguments.Add(EchoPluginLocation.DllPath);
        }
        else
        {
            // Any plugin: the executable and its arguments, exactly as given (no shell is involved).
            options.ExecutablePath = _options.PluginCommandLine[0];
            if (Path.GetFileNameWithoutExtension(options.ExecutablePath) == "dotnet"
                && _options.PluginCommandLine.FirstOrDefault(argument => argument.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)) is { } dll)
            {
                options.Name = Path.GetFileNameWithoutExtension(dll); // "dotnet exec x.dll" is plugin x, not plugin dotnet
            }

            foreach (string argument in _options.PluginCommandLine.Skip(1))
            {
                options.Arguments.Add(argument);
            }
        }

        return options;
    }

    private async Task StartAsync(Plugin plugin)
    {
        if (_options.IsEchoPlugin && !File.Exists(EchoPluginLocation.DllPath))
        {
            throw new StepFailedException($"EchoPlugin.dll next to HostApp ({EchoPluginLocation.DllPath})", "no such file; build HostApp, which builds EchoPlugin");
        }

        long start = Stopwatch.GetTimestamp();
        await plugin.StartAsync();
        StepRunner.Say($"plugin '{plugin.Name}' runs as process {plugin.ProcessId}, ready after {Stopwatch.GetElapsedTime(start).TotalMilliseconds:F0} ms (state {plugin.State})");
        Expect.True(plugin.State == PluginState.Running, "state Running", $"state {plugin.State}");
    }

    private Task ShowMetadataAsync(Plugin plugin)
    {
        foreach ((string key, string value) in plugin.Metadata.OrderBy(entry => entry.Key, StringComparer.Ordinal))
        {
            StepRunner.Say($"{key} = {value}");
        }

        Expect.Equal("1", plugin.Metadata.GetValueOrDefault("protocol") ?? "(missing)", "protocol");
        Expect.True(plugin.Metadata.ContainsKey("name"), "a \"name\" entry", "no \"name\" entry");
        if (_options.IsEchoPlugin)
        {
            Expect.Equal("EchoPlugin", plugin.Metadata["name"], "name");
        }

        return Task.CompletedTask;
    }

    private static async Task EchoAsync(Plugin plugin)
    {
        // The string overload sends UTF-8 and decodes the answer as UTF-8; other overloads take bytes or a whole Chunk.
        string answer = await plugin.CallAsync("echo", "hello");
        StepRunner.Say($"echo(\"hello\") -> \"{answer}\"");
        Expect.Equal("hello", answer, "the answer");
    }

    private static async Task ConcurrentEchoesAsync(Plugin plugin)
    {
        long start = Stopwatch.GetTimestamp();

        // All calls are in flight at once over the one connection; answers may come back in any order.
        Task<ReadOnlyMemory<byte>>[] calls = new Task<ReadOnlyMemory<byte>>[ConcurrentCalls];
        for (int i = 0; i < calls.Length; i++)
        {
            calls[i] = plugin.CallAsync("echo", Encoding.UTF8.GetBytes($"message #{i}"));
        }

        ReadOnlyMemory<byte>[] answers = await Task.WhenAll(calls);
        TimeSpan elapsed = Stopwatch.GetElapsedTime(start);

        var wrong = new List<string>();
        for (int i = 0; i < answers.Length; i++)
        {
            string answer = Encoding.UTF8.GetString(answers[i].Span);
            if (answer != $"message #{i}")
            {
                wrong.Add($"#{i} answered \"{answer}\"");
            }
        }

        StepRunner.Say($"{answers.Length - wrong.Count} of {ConcurrentCalls} answers matched, in {elapsed.TotalMilliseconds:F0} ms");
        Expect.True(wrong.Count == 0, $"all {ConcurrentCalls} answers to match", string.Join(", ", wrong.Take(5)));
    }

    private async Task ShowLogsAsync(Plugin plugin)
    {
        // Log entries travel as one-way messages and console lines through their own pipe: give late ones a moment.
        IReadOnlyList<PluginLogEntry> logs = plugin.GetRecentLogs();
        if (_options.IsEchoPlugin)
        {
            for (int attempt = 0; attempt < 50 && !HasExpectedEchoPluginLogs(logs); attempt++)
            {
                await Task.Delay(100);
                logs = plugin.GetRecentLogs();
            }
        }

        StepRunner.Say($"{logs.Count} recent entries (source, level, category: message):");
        foreach (PluginLogEntry entry in logs)
        {
            StepRunner.Say($"  {entry.Source}, {entry.Level}, {entry.Category}: {entry.Message}");
        }

        if (_options.IsEchoPlugin)
        {
            Expect.True(
                HasExpectedEchoPluginLogs(logs),
                $"an entry \"EchoPlugin started ...\" sent with cmd.log, and the line \"{ConsoleLine}\"",
                "entries without them");
        }
    }

    private async Task StopAsync(Plugin plugin)
    {
        long start = Stopwatch.GetTimestamp();
        await plugin.StopAsync();
        StepRunner.Say($"stopped in {Stopwatch.GetElapsedTime(start).TotalMilliseconds:F0} ms (state {plugin.State})");
        if (_handlers.RepeatCount > 0)
        {
            StepRunner.Say($"the plugin called the host's Repeat {_handlers.RepeatCount} time(s) in all");
        }

        Expect.True(_exit is not null, "the Exited event", "no Exited event");
        StepRunner.Say($"process {_exit!.ProcessId} exited with code {_exit.ExitCode} (asked to stop: {_exit.Expected})");
        Expect.True(_exit.ExitCode == 0, "exit code 0", $"exit code {_exit.ExitCode}");
        Expect.True(plugin.State == PluginState.Stopped, "state Stopped", $"state {plugin.State}");
    }
}
