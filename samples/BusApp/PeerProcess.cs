using System.Diagnostics;

namespace BusApp;

/// <summary>The second host of <c>--redis</c>: BusApp itself in <c>--peer</c> mode, whose output is shown here line by line; disposing it stops it.</summary>
internal sealed class PeerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private PeerProcess(Process process) => _process = process;

    /// <summary>Starts the peer host on <paramref name="redis"/> and waits until it answers pings.</summary>
    public static async Task<PeerProcess> StartAsync(string redis, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(PluginLocation.DotnetPath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in (string[])["exec", PluginLocation.DllPath("BusApp"), "--peer", redis])
        {
            startInfo.ArgumentList.Add(argument);
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var peer = new PeerProcess(new Process { StartInfo = startInfo });
        peer._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetException(new InvalidOperationException("The peer host ended before it was ready."));
                return;
            }

            Console.WriteLine($"  [peer host] {e.Data}");
            if (e.Data == PeerHost.ReadyLine)
            {
                ready.TrySetResult();
            }
        };
        peer._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine($"  [peer host] {e.Data}");
            }
        };
        peer._process.Start();
        peer._process.BeginOutputReadLine();
        peer._process.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(Inbox.WaitLimit, cancellationToken);
        }
        catch
        {
            await peer.DisposeAsync();
            throw;
        }

        return peer;
    }

    /// <summary>Closes its input, which stops it; kills it (and its plugin) if it has not exited within 15 s.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
        }
        catch (Exception ex) when (ex is TimeoutException or IOException or InvalidOperationException)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
            catch (InvalidOperationException)
            {
                // it had exited already
            }
        }

        _process.Dispose();
    }
}
