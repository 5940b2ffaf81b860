using System.Diagnostics;
using System.Text;
using PluginIpc.Tests.Processes;

namespace PluginIpc.Redis.Tests;

/// <summary>
/// The second host: a PluginIpc.Redis.TestHost process (AddPluginIpc + AddPluginIpcRedisBus + a TestPlugin "bus" plugin) that
/// reports over stdout what its plugin and host code receive, and publishes on command (see its Program.cs).
/// </summary>
internal sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _errors = new();

    private HostProcess(Process process)
    {
        _process = process;
        Output.Diagnostics = () =>
        {
            lock (_errors)
            {
                return $"Its errors:\n{_errors}";
            }
        };
    }

    /// <summary>Gets what it wrote so far, line by line.</summary>
    public LineLog Output { get; } = new("The second host");

    /// <summary>Starts it and waits for its "ready" (its plugin runs).</summary>
    public static async Task<HostProcess> StartAsync(string redisConfiguration, string pluginName, params string[] options)
    {
        string hostDll = Path.Combine(AppContext.BaseDirectory, "PluginIpc.Redis.TestHost.dll");
        var startInfo = new ProcessStartInfo(TestPlugin.DotnetPath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in (string[])["exec", hostDll, redisConfiguration, TestPlugin.DotnetPath, TestPlugin.DllPath, pluginName, "hostsub=probe.to.remote", .. options])
        {
            startInfo.ArgumentList.Add(argument);
        }

        var host = new HostProcess(new Process { StartInfo = startInfo });
        host._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                host.Output.Add(e.Data);
            }
        };
        host._process.ErrorDataReceived += (_, e) =>
        {
            lock (host._errors)
            {
                host._errors.AppendLine(e.Data);
            }
        };
        host._process.Start();
        host._process.BeginOutputReadLine();
        host._process.BeginErrorReadLine();
        try
        {
            await host.Output.WaitForAsync(line => line == "ready");
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        return host;
    }

    /// <summary>Sends a command and returns its "done" or "failed" line.</summary>
    public async Task<string> CommandAsync(string command)
    {
        Task<string> answer = Output.WaitForAsync(line => line == $"done {command}" || line.StartsWith($"failed {command} ", StringComparison.Ordinal));
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
        return await answer;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close(); // it exits when its stdin ends
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
        }
        catch (Exception ex) when (ex is TimeoutException or IOException or InvalidOperationException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
