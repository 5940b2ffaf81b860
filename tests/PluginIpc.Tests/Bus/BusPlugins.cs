using System.Text;
using Microsoft.Extensions.DependencyInjection;
using PluginIpc.Tests.Processes;

namespace PluginIpc.Tests.Bus;

/// <summary>
/// A host (service provider) whose plugins run TestPlugin in mode <c>bus</c>, with what each reports: the bus messages it
/// received (<c>bus.seen</c>), its config-changed hook's runs, and each time one of its processes became ready.
/// </summary>
internal sealed class BusPlugins : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly Dictionary<string, Received<string>> _seen = [];
    private readonly Dictionary<string, Received<string>> _config = [];

    public BusPlugins(Action<PluginIpcOptions>? configure, params BusPluginSpec[] plugins)
    {
        var services = new ServiceCollection();
        services.AddPluginIpc(options =>
        {
            options.PluginFolders.Clear();
            configure?.Invoke(options);
        });
        foreach (BusPluginSpec spec in plugins)
        {
            var seen = _seen[spec.Name] = new Received<string>();
            var config = _config[spec.Name] = new Received<string>();
            services.AddPlugin(spec.Name, options =>
                {
                    options.ExecutablePath = TestPlugin.DotnetPath;
                    options.Arguments.Add("exec");
                    options.Arguments.Add(TestPlugin.DllPath);
                    options.Arguments.Add("bus");
                    options.Arguments.Add("name=" + spec.Name);
                    foreach (string argument in spec.Arguments)
                    {
                        options.Arguments.Add(argument);
                    }

                    options.Framer = spec.Framer;
                    options.StartTimeout = TimeSpan.FromSeconds(20);
                    spec.Configure?.Invoke(options);
                })
                .Setup((plugin, _) =>
                {
                    plugin.Handle("bus.seen", (chunk, _, _) =>
                    {
                        seen.Add(Encoding.UTF8.GetString(chunk.Buffer.Span));
                        return default;
                    });
                    plugin.Handle("config.changed", (chunk, _, _) =>
                    {
                        config.Add(Encoding.UTF8.GetString(chunk.Buffer.Span));
                        return default;
                    });
                    plugin.StateChanged += (_, change) =>
                    {
                        if (change.State == PluginState.Running)
                        {
                            Ready.Add($"{spec.Name} {plugin.ProcessId}");
                        }
                    };
                });
        }

        _services = services.BuildServiceProvider();
        Bus = _services.GetRequiredService<IPluginBus>();
        Manager = _services.GetRequiredService<IPluginManager>();
        Config = _services.GetRequiredService<IPluginConfigStore>();
    }

    public IPluginBus Bus { get; }

    public IPluginConfigStore Config { get; }

    public IPluginManager Manager { get; }

    /// <summary>Gets "{name} {processId}" each time a plugin's process became ready.</summary>
    public Received<string> Ready { get; } = new();

    /// <summary>Returns what <paramref name="name"/> reported receiving: "topic|sequence|missed|publisher|text".</summary>
    public Received<string> Seen(string name) => _seen[name];

    public Received<string> ConfigChanged(string name) => _config[name];

    /// <summary>Sends one of TestPlugin bus mode's commands to <paramref name="name"/> and returns its text answer.</summary>
    public async Task<string> AskAsync(string name, string cmd, string text)
    {
        Plugin plugin = await Manager.GetAsync(name);
        return await plugin.CallAsync(cmd, text);
    }

    public async Task StartAsync(params string[] names)
    {
        foreach (string name in names)
        {
            await Manager.GetAsync(name);
        }
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}

/// <summary>One TestPlugin bus-mode plugin of a <see cref="BusPlugins"/> host.</summary>
internal sealed record BusPluginSpec(string Name, string[] Arguments, Action<PluginOptions>? Configure = null, string Framer = "msgpack")
{
    public BusPluginSpec(string name, params string[] arguments)
        : this(name, arguments, null)
    {
    }
}
