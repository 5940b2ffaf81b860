using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace PluginIpc.Tests.Processes;

[TestFixture]
[Category("Process")]
public sealed class PluginProcessTests : ProcessTestBase
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);
    private static readonly string[] s_rawOutput = ["started", "console says hi", "fd1 says hi", "end of input"];

    [Test, CancelAfter(20_000)]
    public async Task StartAsync_EchoOverTransport_RoundTripsBytesAndExitsZero(
        [Values] PluginTransport transport, CancellationToken cancellationToken)
    {
        await using PluginProcess plugin = await StartAsync(TestPlugin.StartInfo(transport, "raw"), cancellationToken);
        byte[] payload = RandomPayload(200_000);

        byte[] echoed = await EchoAsync(plugin.Output, plugin.Input, payload, cancellationToken);

        Assert.That(echoed, Is.EqualTo(payload), "the echo must hold exactly the payload, and no console output");
        Assert.That(await plugin.Exited.WaitAsync(s_timeout, cancellationToken), Is.EqualTo(0), plugin.StderrTail);
        Assert.That(plugin.HasExited, Is.True);
    }

    [Test, CancelAfter(20_000)]
    public async Task CloseOutputAsync_EachTransport_PluginEchoesWhatItGotAndExitsZero(
        [Values] PluginTransport transport, CancellationToken cancellationToken)
    {
#pragma warning disable CA1859 // on purpose: only what Plugin's supervision sees
        IConnectedPlugin plugin = await StartAsync(TestPlugin.StartInfo(transport, "raw"), cancellationToken);
#pragma warning restore CA1859
        await plugin.Output.WriteAsync("ping"u8.ToArray(), cancellationToken);
        await plugin.Output.FlushAsync(cancellationToken);

        await plugin.CloseOutputAsync();
        await plugin.CloseOutputAsync(); // a second close is harmless
        using var echoed = new MemoryStream();
        await plugin.Input.CopyToAsync(echoed, cancellationToken);

        Assert.That(echoed.ToArray(), Is.EqualTo("ping"u8.ToArray()));
        Assert.That(await plugin.Exited.WaitAsync(s_timeout, cancellationToken), Is.EqualTo(0), plugin.StderrTail);
        Assert.That(plugin.HasExited, Is.True);
        Assert.That(plugin.StderrTail, Does.StartWith("started"));
    }

    [Test, CancelAfter(20_000)]
    public async Task StartAsync_PluginWritesToConsole_OutputReachesRecentOutput(
        [Values] PluginTransport transport, CancellationToken cancellationToken)
    {
        var seen = new List<PluginOutputLine>();
        PluginProcessStartInfo info = TestPlugin.StartInfo(transport, "raw");
        info = new PluginProcessStartInfo(info.ExecutablePath)
        {
            Arguments = info.Arguments,
            Transport = transport,
            OutputReceived = line =>
            {
                lock (seen)
                {
                    seen.Add(line);
                }
            },
        };
        await using PluginProcess plugin = await StartAsync(info, cancellationToken);

        byte[] echoed = await EchoAsync(plugin.Output, plugin.Input, "ping"u8.ToArray(), cancellationToken);
        await plugin.Exited.WaitAsync(s_timeout, cancellationToken);

        Assert.That(echoed, Is.EqualTo("ping"u8.ToArray()));
        Assert.That(plugin.GetRecentOutput(), Is.SupersetOf(s_rawOutput));
        Assert.That(plugin.StderrTail, Does.StartWith("started"));
        PluginOutputSource consoleSource = transport == PluginTransport.Stdio ? PluginOutputSource.StandardError : PluginOutputSource.StandardOutput;
        lock (seen)
        {
            Assert.That(seen, Does.Contain(new PluginOutputLine(consoleSource, "console says hi")));
            Assert.That(seen, Does.Contain(new PluginOutputLine(consoleSource, "fd1 says hi")));
        }
    }

    [Test, CancelAfter(20_000)]
    public async Task StartAsync_WrongCookie_ExitsOneWithMessage(
        [Values] PluginTransport transport, CancellationToken cancellationToken)
    {
        PluginProcessStartInfo info = TestPlugin.StartInfo(transport, "raw");
        info = new PluginProcessStartInfo(info.ExecutablePath) { Arguments = info.Arguments, Transport = transport, Cookie = "someone-else" };
        await using PluginProcess plugin = await StartAsync(info, cancellationToken);

        int exitCode = await plugin.Exited.WaitAsync(s_timeout, cancellationToken);

        Assert.That(exitCode, Is.EqualTo(1));
        Assert.That(plugin.StderrTail, Is.EqualTo(LaunchContract.NotStartedByHostMessage("PluginIpc.TestPlugin")));
    }

    [Test, CancelAfter(20_000)]
    public async Task Exited_PluginExitsWithCode_ReportsCode([Values(0, 7, 42)] int code, CancellationToken cancellationToken)
    {
        await using PluginProcess plugin = await StartAsync(
            TestPlugin.StartInfo(PluginTransport.InheritedPipes, "exit", code.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            cancellationToken);

        Assert.That(await plugin.Exited.WaitAsync(s_timeout, cancellationToken), Is.EqualTo(code));
        Assert.That(plugin.GetRecentOutput(), Is.EqualTo(new[] { $"exiting with {code}" }));
    }

    [Test, CancelAfter(20_000)]
    public async Task StartAsync_PluginWritesStderr_LogsEachLineAtInformation(CancellationToken cancellationToken)
    {
        var logger = new ListLogger();
        await using PluginProcess plugin = await StartAsync(TestPlugin.StartInfo(PluginTransport.InheritedPipes, "exit", "3"), logger, cancellationToken);

        await plugin.Exited.WaitAsync(s_timeout, cancellationToken);

        Assert.That(
            logger.Entries.Where(e => e.EventId.Name == "StandardError").Select(e => (e.Level, e.EventId.Id, e.Message)),
            Is.EqualTo(new[] { (LogLevel.Information, 404, "exiting with 3") }));
    }

    [Test, CancelAfter(20_000)]
    public async Task Input_HostStopsReading_PluginWriteFailsAndPluginExits(
        [Values] PluginTransport transport, CancellationToken cancellationToken)
    {
        await using PluginProcess plugin = await StartAsync(TestPlugin.StartInfo(transport, "raw"), cancellationToken);
        await plugin.Input.DisposeAsync();

        await plugin.Output.WriteAsync("echo this"u8.ToArray(), cancellationToken);
        await plugin.Output.FlushAsync(cancellationToken);

        Assert.That(await plugin.Exited.WaitAsync(s_timeout, cancellationToken), Is.EqualTo(3), plugin.StderrTail);
        Assert.That(plugin.StderrTail, Does.Contain("lost the host"));
    }

    [Test, CancelAfter(20_000)]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Output_OnLinux_HoldsAQuarterMebibyteThePluginHasNotRead(
        [Values] PluginTransport transport, CancellationToken cancellationToken)
    {
        Assume.That(OperatingSystem.IsLinux(), "pipe buffers can be grown on Linux only");
        await using PluginProcess plugin = await StartHangingAsync(transport, cancellationToken);

        // The plugin never reads: with the default 64 KiB buffer this write would wait for it forever.
        Task write = plugin.Output.WriteAsync(new byte[UnixNative.PipeBufferBytes], cancellationToken).AsTask();

        Assert.That(await Task.WhenAny(write, Task.Delay(s_timeout, cancellationToken)), Is.SameAs(write), "the write must fit in the pipe");
        await write;
    }

    [Test, CancelAfter(20_000)]
    public async Task KillAsync_HangingPlugin_KillsIt([Values] PluginTransport transport, CancellationToken cancellationToken)
    {
        await using PluginProcess plugin = await StartHangingAsync(transport, cancellationToken);

        await plugin.KillAsync(cancellationToken);

        Assert.That(plugin.HasExited, Is.True);
        Assert.That(await plugin.Exited, Is.EqualTo(128 + 9), "killed by SIGKILL");
        Assert.That(plugin.OutputCompleted.IsCompleted, Is.True);
    }

    [Test, CancelAfter(20_000)]
    public async Task KillAsync_PluginWithGrandchild_KillsWholeTree(CancellationToken cancellationToken)
    {
        var grandchildPid = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        PluginProcessStartInfo info = TestPlugin.StartInfo(PluginTransport.InheritedPipes, "tree");
        info = new PluginProcessStartInfo(info.ExecutablePath)
        {
            Arguments = info.Arguments,
            OutputReceived = line =>
            {
                if (line.Text.StartsWith("grandchild ", StringComparison.Ordinal))
                {
                    grandchildPid.TrySetResult(int.Parse(line.Text["grandchild ".Length..], System.Globalization.CultureInfo.InvariantCulture));
                }
            },
        };
        await using PluginProcess plugin = await StartAsync(info, cancellationToken);
        int pid = await grandchildPid.Task.WaitAsync(s_timeout, cancellationToken);
        Assert.That(ProcFs.IsAlive(pid), Is.True, "the grandchild runs before the kill");

        await plugin.KillAsync(cancellationToken);
        // The grandchild inherited the plugin's stderr, so stderr ends only once the grandchild is dead as well.
        await plugin.OutputCompleted.WaitAsync(s_timeout, cancellationToken);

        Assert.That(ProcFs.IsAlive(pid), Is.False, "the grandchild was killed with its parent");
    }

    [Test, CancelAfter(20_000)]
    [Platform("Linux")]
    public async Task Exit_PluginLeavesAChildRunning_TheChildIsKilledOnlyWhenAsked([Values] bool killLeftovers, CancellationToken cancellationToken)
    {
        var grandchildPid = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using PluginProcess plugin = await StartAsync(OrphanMaker(grandchildPid, killLeftovers), cancellationToken);
        int pid = await grandchildPid.Task.WaitAsync(s_timeout, cancellationToken);
        try
        {
            Assert.That(await plugin.Exited.WaitAsync(s_timeout, cancellationToken), Is.EqualTo(3));
            Assert.That(
                ProcFs.IsAlive(pid),
                Is.EqualTo(!killLeftovers),
                killLeftovers ? "the plugin's child, left running when it exited, was killed" : "unless asked, what a plugin started is left alone: it may be a shared daemon");
        }
        finally
        {
            KillQuietly(pid);
        }
    }

    [Test, CancelAfter(20_000)]
    public async Task StartAsync_MissingExecutable_ThrowsPluginStartExceptionNamingIt(CancellationToken cancellationToken)
    {
        string path = Path.Combine(Path.GetTempPath(), $"no-such-plugin-{Guid.NewGuid():N}");

        var exception = await Failure.ThrowsAsync<PluginStartException>(
            async () => await StartAsync(new PluginProcessStartInfo(path), cancellationToken));

        Assert.That(exception!.Message, Does.Contain(path));
        Assert.That(PluginProcess.LiveCount, Is.Zero);
    }

    [Test, CancelAfter(20_000)]
    public async Task StartAsync_FileNotExecutable_ThrowsPluginStartExceptionNamingIt(CancellationToken cancellationToken)
    {
        string path = Path.Combine(Path.GetTempPath(), $"not-executable-{Guid.NewGuid():N}");
        File.WriteAllText(path, "not a program");
        try
        {
            var exception = await Failure.ThrowsAsync<PluginStartException>(
                async () => await StartAsync(new PluginProcessStartInfo(path), cancellationToken));

            Assert.That(exception!.Message, Does.Contain(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test, CancelAfter(20_000)]
    public async Task StartAsync_BusyPollTime_IsPassedAsAHint_AndTheHostsOwnHintIsNot([Values] bool busyPoll, CancellationToken cancellationToken)
    {
        Environment.SetEnvironmentVariable(LaunchVariables.BusyPollMicroseconds, "7"); // as if this host were itself a plugin told to poll
        try
        {
            PluginProcessStartInfo info = TestPlugin.StartInfo(PluginTransport.InheritedPipes, "env", LaunchVariables.BusyPollMicroseconds);
            info = new PluginProcessStartInfo(info.ExecutablePath)
            {
                Arguments = info.Arguments,
                BusyPollTime = busyPoll ? TimeSpan.FromMicroseconds(50) : TimeSpan.Zero,
            };
            await using PluginProcess plugin = await StartAsync(info, cancellationToken);

            Assert.That(await plugin.Exited.WaitAsync(s_timeout, cancellationToken), Is.EqualTo(0));

            Assert.That(plugin.GetRecentOutput(), Is.EqualTo(new[] { busyPoll ? $"{LaunchVariables.BusyPollMicroseconds}=50" : $"{LaunchVariables.BusyPollMicroseconds} unset" }));
        }
        finally
        {
            Environment.SetEnvironmentVariable(LaunchVariables.BusyPollMicroseconds, null);
        }
    }

    [Test, CancelAfter(20_000)]
    public async Task StartAsync_EnvironmentOptions_ShapeThePluginEnvironment(
        [Values] bool inheritEnvironment, CancellationToken cancellationToken)
    {
        const string Inherited = "PLUGINIPC_TEST_INHERITED", Added = "PLUGINIPC_TEST_ADDED", Removed = "PLUGINIPC_TEST_REMOVED";
        Environment.SetEnvironmentVariable(Inherited, "from-host");
        Environment.SetEnvironmentVariable(Removed, "from-host");
        try
        {
            PluginProcessStartInfo info = TestPlugin.StartInfo(
                PluginTransport.InheritedPipes, "env", Inherited, Added, Removed, LaunchVariables.Cookie, LaunchVariables.Framer);
            info = new PluginProcessStartInfo(info.ExecutablePath)
            {
                Arguments = info.Arguments,
                InheritEnvironment = inheritEnvironment,
                Framer = MessagePackFramer.FramerName,
                Environment = new Dictionary<string, string?> { [Added] = "added", [Removed] = null },
            };
            await using PluginProcess plugin = await StartAsync(info, cancellationToken);

            Assert.That(await plugin.Exited.WaitAsync(s_timeout, cancellationToken), Is.EqualTo(0));

            Assert.That(plugin.GetRecentOutput(), Is.EqualTo(new[]
            {
                inheritEnvironment ? $"{Inherited}=from-host" : $"{Inherited} unset",
                $"{Added}=added",
                $"{Removed} unset",
                $"{LaunchVariables.Cookie}={LaunchVariables.DefaultCookie}",
                $"{LaunchVariables.Framer}=msgpack",
            }));
        }
        finally
        {
            Environment.SetEnvironmentVariable(Inherited, null);
            Environment.SetEnvironmentVariable(Removed, null);
        }
    }

    [Test, CancelAfter(20_000)]
    public async Task DisposeAsync_RunningPlugin_KillsItAndIsIdempotent(CancellationToken cancellationToken)
    {
        PluginProcess plugin = await StartAsync(TestPlugin.StartInfo(PluginTransport.Stdio, "hang"), cancellationToken);

        await plugin.DisposeAsync();
        await plugin.DisposeAsync();

        Assert.That(plugin.Exited.IsCompleted, Is.True);
        Assert.That(ProcFs.IsAlive(plugin.ProcessId), Is.False);
        Assert.That(PluginProcess.LiveCount, Is.Zero);
    }

    [Test]
    public async Task StartAsync_NullLogger_Throws() =>
        await Failure.ThrowsAsync<ArgumentNullException>(
            async () => await StdioConnector.Instance.ConnectAsync(TestPlugin.StartInfo(PluginTransport.Stdio, "hang"), null!, CancellationToken.None));

    [Test]
    public async Task StartAsync_UnknownFramer_Throws() =>
        await Failure.ThrowsAsync<ArgumentException>(
            async () => await InheritedPipesConnector.Instance.ConnectAsync(
                new PluginProcessStartInfo("unused") { Framer = "json" }, NullLogger.Instance, CancellationToken.None));

    /// <summary>Starts the test plugin in its "hang" mode, where it never reads its input, and returns once it says so.</summary>
    private async Task<PluginProcess> StartHangingAsync(PluginTransport transport, CancellationToken cancellationToken)
    {
        var hanging = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        PluginProcessStartInfo info = TestPlugin.StartInfo(transport, "hang");
        info = new PluginProcessStartInfo(info.ExecutablePath)
        {
            Arguments = info.Arguments,
            Transport = transport,
            OutputReceived = line => _ = line.Text == "hanging" && hanging.TrySetResult(),
        };
        PluginProcess plugin = await StartAsync(info, cancellationToken);
        try
        {
            await hanging.Task.WaitAsync(s_timeout, cancellationToken);
            return plugin;
        }
        catch
        {
            await plugin.DisposeAsync();
            throw;
        }
    }

    /// <summary>The start of a plugin that starts a child, writes its pid, and exits at once, leaving it running.</summary>
    private static PluginProcessStartInfo OrphanMaker(TaskCompletionSource<int> grandchildPid, bool killLeftovers)
    {
        PluginProcessStartInfo info = TestPlugin.StartInfo(PluginTransport.InheritedPipes, "orphan");
        return new PluginProcessStartInfo(info.ExecutablePath)
        {
            Arguments = info.Arguments,
            KillLeftoverProcesses = killLeftovers,
            OutputReceived = line =>
            {
                if (line.Text.StartsWith("grandchild ", StringComparison.Ordinal))
                {
                    grandchildPid.TrySetResult(int.Parse(line.Text["grandchild ".Length..], System.Globalization.CultureInfo.InvariantCulture));
                }
            },
        };
    }

    private static void KillQuietly(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }
}
