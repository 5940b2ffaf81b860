using System.Net.Sockets;

namespace PluginIpc.Tests.Processes;

/// <summary>TestPlugin started without <see cref="PluginConnectors"/>, to give it what other hosts would.</summary>
[TestFixture]
[Category("Process")]
public sealed class RawProcessTests : ProcessTestBase
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);

    [Test, CancelAfter(20_000)]
    public async Task PluginConnection_InheritedUnixSockets_EchoesAndExitsOnEndOfInput(
        [Values] bool oneDuplexSocket, CancellationToken cancellationToken)
    {
        (SafeSocketHandle hostIn, SafeSocketHandle pluginIn) = NativeSockets.CreateInheritablePair();
        (SafeSocketHandle hostOut, SafeSocketHandle pluginOut) = oneDuplexSocket ? (hostIn, pluginIn) : NativeSockets.CreateInheritablePair();
        var startInfo = TestPlugin.RawStartInfo("raw");
        startInfo.Environment[LaunchVariables.Cookie] = LaunchVariables.DefaultCookie;
        startInfo.Environment[LaunchVariables.InFd] = pluginIn.DangerousGetHandle().ToString(System.Globalization.CultureInfo.InvariantCulture);
        startInfo.Environment[LaunchVariables.OutFd] = pluginOut.DangerousGetHandle().ToString(System.Globalization.CultureInfo.InvariantCulture);

        var process = StartRaw(startInfo);
        pluginIn.Dispose(); // the child has its copies now
        pluginOut.Dispose();
        Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        using var toPlugin = new NetworkStream(new Socket(hostIn), ownsSocket: true);
        using var fromPlugin = oneDuplexSocket ? toPlugin : new NetworkStream(new Socket(hostOut), ownsSocket: true);
        byte[] payload = RandomPayload(200_000);

        Task write = Task.Run(
            async () =>
            {
                await toPlugin.WriteAsync(payload, cancellationToken);
                toPlugin.Socket.Shutdown(SocketShutdown.Send);
            },
            cancellationToken);
        using var received = new MemoryStream();
        await fromPlugin.CopyToAsync(received, cancellationToken);
        await write;
        await process.WaitForExitAsync(cancellationToken).WaitAsync(s_timeout, cancellationToken);

        Assert.That(received.ToArray(), Is.EqualTo(payload));
        Assert.That(process.ExitCode, Is.EqualTo(0), await stderr);
        Assert.That(await stderr, Is.EqualTo("started\nend of input\n"));
        Assert.That(await stdout, Is.EqualTo("console says hi\nfd1 says hi\n"));
    }

    [Test, CancelAfter(20_000)]
    public async Task Main_InheritedUnixSockets_EchoPluginHandshakesAndAnswers(
        [ValueSource(typeof(Framers), nameof(Framers.Names))] string framer, [Values] bool oneDuplexSocket, CancellationToken cancellationToken)
    {
        (SafeSocketHandle hostIn, SafeSocketHandle pluginIn) = NativeSockets.CreateInheritablePair();
        (SafeSocketHandle hostOut, SafeSocketHandle pluginOut) = oneDuplexSocket ? (hostIn, pluginIn) : NativeSockets.CreateInheritablePair();
        var startInfo = new System.Diagnostics.ProcessStartInfo(TestPlugin.DotnetPath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList = { "exec", Host.EchoPluginFixture.DllPath },
        };
        startInfo.Environment[LaunchVariables.Cookie] = LaunchVariables.DefaultCookie;
        startInfo.Environment[LaunchVariables.Protocol] = "1";
        startInfo.Environment[LaunchVariables.Framer] = framer;
        startInfo.Environment[LaunchVariables.InFd] = pluginIn.DangerousGetHandle().ToString(System.Globalization.CultureInfo.InvariantCulture);
        startInfo.Environment[LaunchVariables.OutFd] = pluginOut.DangerousGetHandle().ToString(System.Globalization.CultureInfo.InvariantCulture);

        var process = StartRaw(startInfo);
        pluginIn.Dispose(); // the child has its copies now
        pluginOut.Dispose();
        process.StandardInput.Close();
        Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var toPlugin = new NetworkStream(new Socket(hostIn), ownsSocket: true);
        await using PluginIpc.Channel channel = oneDuplexSocket
            ? new PluginIpc.Channel(toPlugin, Framers.Create(framer))
            : new PluginIpc.Channel(new NetworkStream(new Socket(hostOut), ownsSocket: true), toPlugin, Framers.Create(framer));
        channel.Handle("Repeat", (chunk, _, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(System.Text.Encoding.UTF8.GetBytes("Response: " + System.Text.Encoding.UTF8.GetString(chunk.Buffer.Span))));
        var logs = new List<string>();
        channel.Handle(Commands.Log, (chunk, _, _) =>
        {
            lock (logs)
            {
                logs.Add(System.Text.Encoding.UTF8.GetString(chunk.Buffer.Span));
            }

            return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
        });
        channel.Start();

        string metadata = await channel.CallAsync(Commands.GetMetadata, string.Empty, cancellationToken);
        using (var json = System.Text.Json.JsonDocument.Parse(metadata))
        {
            Assert.That(json.RootElement.GetProperty("name").GetString(), Is.EqualTo("EchoPlugin"));
            Assert.That(json.RootElement.GetProperty("protocol").GetString(), Is.EqualTo("1"));
        }

        byte[] payload = RandomPayload(300_000);
        Assert.That((await channel.CallAsync("echo", payload, cancellationToken)).ToArray(), Is.EqualTo(payload));
        Assert.That(await channel.CallAsync("callback", "over a socket", cancellationToken), Is.EqualTo("Response: over a socket"));
        await channel.PingAsync(cancellationToken);
        await channel.NotifyAsync(Commands.Stop, ReadOnlyMemory<byte>.Empty, cancellationToken);
        await process.WaitForExitAsync(cancellationToken).WaitAsync(s_timeout, cancellationToken);

        Assert.That(process.ExitCode, Is.EqualTo(0), await stderr);
        Assert.That(await stdout, Is.Empty);
        lock (logs)
        {
            Assert.That(logs, Has.Some.Contains("EchoPlugin started"));
        }
    }

    [Test, CancelAfter(20_000)]
    public async Task TestPlugin_MissingCookie_ExitsOneWithOneLine(CancellationToken cancellationToken)
    {
        var startInfo = TestPlugin.RawStartInfo("raw");
        startInfo.Environment.Remove(LaunchVariables.Cookie);

        var process = StartRaw(startInfo);
        process.StandardInput.Close();
        Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).WaitAsync(s_timeout, cancellationToken);

        Assert.That(process.ExitCode, Is.EqualTo(1));
        Assert.That(await stderr, Is.EqualTo(LaunchContract.NotStartedByHostMessage("PluginIpc.TestPlugin") + "\n"));
        Assert.That(await stdout, Is.Empty);
    }

    [Test, CancelAfter(20_000)]
    public async Task TestPlugin_MalformedDescriptor_ExitsOneWithOneLine(CancellationToken cancellationToken)
    {
        var startInfo = TestPlugin.RawStartInfo("raw");
        startInfo.Environment[LaunchVariables.Cookie] = LaunchVariables.DefaultCookie;
        startInfo.Environment[LaunchVariables.InFd] = "three";
        startInfo.Environment[LaunchVariables.OutFd] = "4";

        var process = StartRaw(startInfo);
        process.StandardInput.Close();
        Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).WaitAsync(s_timeout, cancellationToken);

        Assert.That(process.ExitCode, Is.EqualTo(1));
        Assert.That(await stderr, Does.Contain(LaunchVariables.InFd).And.Contain("'three'"));
    }

    [Test, CancelAfter(20_000)]
    public async Task ProcessExit_HostForgetsToStopPlugin_KillsIt(CancellationToken cancellationToken)
    {
        var process = StartRaw(TestPlugin.RawStartInfo("host"));
        process.StandardInput.Close();
        Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).WaitAsync(s_timeout, cancellationToken);
        string output = await stderr;
        Assert.That(process.ExitCode, Is.EqualTo(0), output);
        int childPid = int.Parse(output.Trim()["child ".Length..], System.Globalization.CultureInfo.InvariantCulture);

        try
        {
            // The orphan is no child of ours, so nothing notifies us of its death: check /proc on a timer, within a timeout.
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(s_timeout);
            try
            {
                while (ProcFs.IsAlive(childPid) && await timer.WaitForNextTickAsync(timeout.Token))
                {
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Asserted below.
            }

            Assert.That(ProcFs.IsAlive(childPid), Is.False, "the plugin outlived its host");
        }
        finally
        {
            // The teardown only knows our own children: if the hook failed, kill the orphan here.
            if (ProcFs.IsAlive(childPid))
            {
                using var orphan = System.Diagnostics.Process.GetProcessById(childPid);
                orphan.Kill();
            }
        }
    }
}
