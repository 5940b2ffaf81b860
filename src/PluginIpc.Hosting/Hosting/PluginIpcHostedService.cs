using Microsoft.Extensions.Hosting;

namespace PluginIpc;

/// <summary>Starts the <see cref="StartMode.AtStartup"/> plugins when the host starts, and stops all plugins when it stops.</summary>
/// <remarks>Its start throws, failing the host's start, only when <see cref="PluginIpcOptions.ThrowOnStartupFailure"/> is set.</remarks>
internal sealed class PluginIpcHostedService : IHostedService
{
    private readonly IPluginManager _manager;

    public PluginIpcHostedService(IPluginManager manager) => _manager = manager;

    public Task StartAsync(CancellationToken cancellationToken) => _manager.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => _manager.StopAsync(cancellationToken);
}
