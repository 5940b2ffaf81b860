using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace BusApp;

/// <summary>A <c>redis-server</c> that BusApp starts for <c>--redis</c> on a free loopback port, with no persistence; disposing it stops it.</summary>
internal sealed class RedisServerProcess : IAsyncDisposable
{
    /// <summary>What to do when <c>redis-server</c> is not on the PATH.</summary>
    public const string InstallHint = "redis-server is not installed: apt-get install redis-server (or pass --redis host:port of a running Redis)";

    private readonly Process _process;

    private RedisServerProcess(Process process, int port)
    {
        _process = process;
        Configuration = $"127.0.0.1:{port}";
    }

    /// <summary>Gets the StackExchange.Redis configuration string that reaches it.</summary>
    public string Configuration { get; }

    /// <summary>Finds <c>redis-server</c> on the PATH, or <see langword="null"/>.</summary>
    public static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, OperatingSystem.IsWindows() ? "redis-server.exe" : "redis-server"))
            .FirstOrDefault(File.Exists);

    /// <summary>Starts <paramref name="executable"/> and waits until it accepts connections.</summary>
    public static async Task<RedisServerProcess> StartAsync(string executable, CancellationToken cancellationToken)
    {
        int port = FreePort();
        var startInfo = new ProcessStartInfo(executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in (string[])["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        {
            startInfo.ArgumentList.Add(argument);
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = startInfo };
        var server = new RedisServerProcess(process, port);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetException(new InvalidOperationException($"redis-server on port {port} ended before it was ready."));
            }
            else if (e.Data.Contains("Ready to accept connections", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.Kill();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
            // it had exited already
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
