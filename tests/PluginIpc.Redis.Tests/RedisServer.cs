using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PluginIpc.Redis.Tests;

/// <summary>
/// A <c>redis-server</c> of its own on a free loopback port, with no persistence, that a test can kill and start again on the
/// same port. Disposing it (and the end of the test process) stops it.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(20);
    private readonly string _executable;
    private Process? _process;

    private RedisServer(string executable, int port)
    {
        _executable = executable;
        Port = port;
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <summary>Gets the loopback port it listens on, the same after a restart.</summary>
    public int Port { get; }

    /// <summary>Gets the StackExchange.Redis configuration string that reaches it.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    /// <summary>
    /// Starts a server and waits until it answers PING. Without <c>redis-server</c> on PATH the test is ignored, or fails when
    /// the environment variable CI is "true".
    /// </summary>
    public static async Task<RedisServer> StartAsync()
    {
        string executable = Find() ?? RequireInstalled();
        var server = new RedisServer(executable, FreePort());
        try
        {
            await server.StartAgainAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>Starts the server again on the same port (after <see cref="KillAsync"/>) and waits until it answers.</summary>
    public async Task StartAgainAsync()
    {
        var startInfo = new ProcessStartInfo(_executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (string argument in (string[])["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        {
            startInfo.ArgumentList.Add(argument);
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new StringBuilder();
        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetException(new InvalidOperationException($"redis-server on port {Port} ended before it was ready:\n{log}"));
                return;
            }

            lock (log)
            {
                log.AppendLine(e.Data);
            }

            if (e.Data.Contains("Ready to accept connections", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (log)
                {
                    log.AppendLine(e.Data);
                }
            }
        };
        process.Start();
        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await ready.Task.WaitAsync(s_startTimeout);
        await PingAsync();
    }

    /// <summary>Kills the server (SIGKILL: no goodbye to its clients) and waits until it has exited.</summary>
    public async Task KillAsync()
    {
        if (_process is { } process)
        {
            _process = null;
            process.Kill();
            await process.WaitForExitAsync().WaitAsync(s_startTimeout);
            process.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        await KillAsync();
    }

    private static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "redis-server"))
            .FirstOrDefault(File.Exists);

    private static string RequireInstalled()
    {
        const string Message = "redis-server is not installed: apt-get install redis-server";
        if (Environment.GetEnvironmentVariable("CI") == "true")
        {
            Assert.Fail(Message + " (CI is true, so the Redis tests fail rather than skip)");
        }

        Assert.Ignore(Message);
        return "";
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Asks PING over a plain socket: the server answers commands, not only listens.</summary>
    private async Task PingAsync()
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port).WaitAsync(s_startTimeout);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync("PING\r\n"u8.ToArray());
        byte[] answer = new byte[7];
        int read = 0;
        while (read < answer.Length)
        {
            int count = await stream.ReadAsync(answer.AsMemory(read)).AsTask().WaitAsync(s_startTimeout);
            if (count == 0)
            {
                break;
            }

            read += count;
        }

        Assert.That(Encoding.ASCII.GetString(answer, 0, read), Is.EqualTo("+PONG\r\n"), $"redis-server on port {Port} did not answer PING");
    }

    private void OnProcessExit(object? sender, EventArgs e)
    {
        try
        {
            _process?.Kill();
        }
        catch (InvalidOperationException)
        {
            // exited already
        }
    }
}
