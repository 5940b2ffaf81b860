namespace PluginIpc.Tests.Channel;

/// <summary>Two connected channels ("host" and "plugin") over the transport a test fixture chose; disposing closes both.</summary>
public sealed class ChannelPair : IAsyncDisposable
{
    private ChannelPair(PluginIpc.Channel host, PluginIpc.Channel plugin)
    {
        Host = host;
        Plugin = plugin;
    }

    public PluginIpc.Channel Host { get; }

    public PluginIpc.Channel Plugin { get; }

    public static ChannelPair Create(string framer, string transport, Action<ChannelOptions>? configureHost = null, Action<ChannelOptions>? configurePlugin = null)
    {
        var hostOptions = new ChannelOptions { Name = "host" };
        var pluginOptions = new ChannelOptions { Name = "plugin" };
        configureHost?.Invoke(hostOptions);
        configurePlugin?.Invoke(pluginOptions);
        if (transport == Transports.Memory)
        {
            var (host, plugin) = TestPipes.CreatePair();
            return new ChannelPair(new PluginIpc.Channel(host, Framers.Create(framer), hostOptions), new PluginIpc.Channel(plugin, Framers.Create(framer), pluginOptions));
        }

        var (hostInput, hostOutput, pluginInput, pluginOutput) = transport == Transports.DedicatedPipes ? TestPipes.CreateDedicatedPipes() : TestPipes.CreateOsPipes();
        return new ChannelPair(
            new PluginIpc.Channel(hostInput, hostOutput, Framers.Create(framer), hostOptions),
            new PluginIpc.Channel(pluginInput, pluginOutput, Framers.Create(framer), pluginOptions));
    }

    public void Start()
    {
        Host.Start();
        Plugin.Start();
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Plugin.DisposeAsync();
    }
}
