using Microsoft.Extensions.DependencyInjection;

namespace PluginIpc.Tests.Bus;

/// <summary>A service provider with PluginIpc and no plugin folders, whose <see cref="IPluginBus"/> the in-process tests use.</summary>
internal sealed class BusTestHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    public BusTestHost(Action<PluginIpcOptions>? configure = null, Action<IServiceCollection>? services = null)
    {
        var collection = new ServiceCollection();
        collection.AddPluginIpc(options =>
        {
            options.PluginFolders.Clear();
            configure?.Invoke(options);
        });
        services?.Invoke(collection);
        _services = collection.BuildServiceProvider();
        Bus = _services.GetRequiredService<IPluginBus>();
    }

    public IPluginBus Bus { get; }

    public IServiceProvider Services => _services;

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
