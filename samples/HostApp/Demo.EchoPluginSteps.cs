using System.Diagnostics;
using PluginIpc;
using Samples;

namespace HostApp;

/// <content>The steps that use the EchoPlugin sample's commands beyond echo: callback, fail, sleep, notify and stdout.</content>
internal sealed partial class Demo
{
    private const string ConsoleLine = "a line EchoPlugin wrote to Console.Out";

    private async Task RunEchoPluginStepsAsync(Plugin plugin)
    {
        await _steps.RunAsync(
            "A typed contract: IGreeter through plugin.GetProxy<IGreeter>()",
            "objects in and out, a stream of 5 numbers in order, 3 progress reports before the sum",
            () => TypedContractAsync(plugin));
        await _steps.RunAsync(
            "Calls both ways: callback (the plugin calls the host's Repeat while it handles the request)",
            "callback(\"round trip\") answers \"Response: round trip\"",
            () => CallbackAsync(plugin));
        await _steps.RunAsync("An error: fail", "a RemoteException with code TEST_FAILURE whose message contains \"boom\"", () => FailAsync(plugin));
        await _steps.RunAsync(
            "Cancel: sleep 5000 ms, cancelled after 100 ms",
            "an OperationCanceledException soon after 100 ms, not after 5 s",
            () => CancelAsync(plugin));
        await _steps.RunAsync("A one-way message: notify", "the host receives Notified(\"news\")", () => NotifyAsync(plugin));
        await _steps.RunAsync(
            "Console output: stdout",
            "the plugin's Console.Out line reaches the host's logs and leaves the channel intact",
            () => ConsoleOutputAsync(plugin));
    }

    private static async Task TypedContractAsync(Plugin plugin)
    {
        // The interface is in samples/GreeterContracts, which host and plugin both reference; the proxy is generated code.
        IGreeter greeter = plugin.GetProxy<IGreeter>();

        string hello = await greeter.HelloAsync("HostApp");
        StepRunner.Say($"HelloAsync(\"HostApp\") -> \"{hello}\"");
        Expect.True(hello.StartsWith("Hello, HostApp!", StringComparison.Ordinal), "a greeting", $"\"{hello}\"");

        Point moved = await greeter.MoveAsync(new Point(1, 2), 10, 20);
        StepRunner.Say($"MoveAsync((1, 2), 10, 20) -> {moved}");
        Expect.True(moved == new Point(11, 22), "(11, 22)", moved.ToString());

        var counted = new List<int>();
        await foreach (int number in greeter.CountAsync(1, 5))
        {
            counted.Add(number);
        }

        StepRunner.Say($"CountAsync(1, 5) streamed {string.Join(", ", counted)}");
        Expect.True(counted.SequenceEqual([1, 2, 3, 4, 5]), "1, 2, 3, 4, 5", string.Join(", ", counted));

        var reports = new List<int>();
        int sum = await greeter.SumWithProgressAsync([1, 2, 3], new ListProgress(reports));
        StepRunner.Say($"SumWithProgressAsync([1, 2, 3]) -> {sum}, reports {string.Join(", ", reports)}");
        Expect.True(sum == 6 && reports.SequenceEqual([1, 3, 6]), "6 with reports 1, 3, 6", $"{sum} with reports {string.Join(", ", reports)}");

        await greeter.ResetAsync();
        StepRunner.Say("ResetAsync() done");
    }

    private static bool HasExpectedEchoPluginLogs(IReadOnlyList<PluginLogEntry> logs) =>
        logs.Any(entry => entry.Source == PluginLogSource.Log && entry.Message.StartsWith("EchoPlugin started", StringComparison.Ordinal))
        && logs.Any(entry => entry.Source != PluginLogSource.Log && entry.Message == ConsoleLine);

    private async Task CallbackAsync(Plugin plugin)
    {
        int repeatsBefore = _handlers.RepeatCount;
        string answer = await plugin.CallAsync("callback", "round trip");
        StepRunner.Say($"callback(\"round trip\") -> \"{answer}\"");
        Expect.Equal("Response: round trip", answer, "the answer");
        Expect.True(_handlers.RepeatCount == repeatsBefore + 1, "one Repeat call to the host", $"{_handlers.RepeatCount - repeatsBefore} calls");
    }

    private static async Task FailAsync(Plugin plugin)
    {
        try
        {
            string answer = await plugin.CallAsync("fail", "boom");
            throw new StepFailedException("a RemoteException", $"the answer \"{answer}\"");
        }
        catch (RemoteException ex)
        {
            // The plugin's handler threw RemoteException("TEST_FAILURE", ...); it crossed the wire as a cmd.error response.
            StepRunner.Say($"RemoteException: code {ex.Code}, message \"{ex.Message}\"");
            Expect.Equal("TEST_FAILURE", ex.Code, "the code");
            Expect.True(ex.Message.Contains("boom", StringComparison.Ordinal), "a message that contains \"boom\"", $"\"{ex.Message}\"");
        }
    }

    private static async Task CancelAsync(Plugin plugin)
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        long start = Stopwatch.GetTimestamp();
        try
        {
            string answer = await plugin.CallAsync("sleep", "5000", cancellation.Token);
            throw new StepFailedException("an OperationCanceledException", $"the answer \"{answer}\"");
        }
        catch (OperationCanceledException)
        {
            // The wait ended at once; a Cancel chunk told the plugin, whose handler's token fired.
            TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
            StepRunner.Say($"OperationCanceledException after {elapsed.TotalMilliseconds:F0} ms");
            Expect.True(elapsed < TimeSpan.FromSeconds(2), "the call to end well before the 5 s sleep", $"{elapsed.TotalMilliseconds:F0} ms");
        }

        // The plugin is still fine: the cancelled handler stopped, and new calls go through.
        string echo = await plugin.CallAsync("echo", "still here");
        Expect.Equal("still here", echo, "echo after the cancel");
    }

    private async Task NotifyAsync(Plugin plugin)
    {
        // notify makes the plugin send the host a one-way Notified message before it answers.
        await plugin.CallAsync("notify", "news");
        string text = await _handlers.Notified.WaitAsync(TimeSpan.FromSeconds(5));
        Expect.Equal("news", text, "Notified's text");
    }

    private static async Task ConsoleOutputAsync(Plugin plugin)
    {
        // Inherited pipes leave the plugin's stdout free: the host reads it line by line into its logs. On the stdio
        // transport, stdout is the channel, so PluginIpc's plugin side sends console output to stderr instead.
        await plugin.CallAsync("stdout", ConsoleLine);
        string echo = await plugin.CallAsync("echo", "after the console output");
        StepRunner.Say("the channel still works: the line shows among the logs below");
        Expect.Equal("after the console output", echo, "echo after the console output");
    }
}
