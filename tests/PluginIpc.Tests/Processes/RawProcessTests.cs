using System.Net.Sockets;

namespace PluginIpc.Tests.Processes;

/// <summary>TestPlugin started without <see cref="PluginProcess"/>, to give it what other hosts would.</summary>
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
