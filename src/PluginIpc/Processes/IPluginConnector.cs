using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>Starts a plugin and connects the host to it: the seam between <see cref="Plugin"/>'s supervision and how a plugin runs.</summary>
/// <remarks>
/// <see cref="PluginConnectors.For"/> picks the connector of a <see cref="PluginTransport"/>. Implementations are stateless and
/// thread safe: one instance serves every plugin and every restart.
/// </remarks>
internal interface IPluginConnector
{
    /// <summary>Starts the plugin that <paramref name="info"/> describes and returns the host's end of its connection.</summary>
    /// <param name="info">What to start and how; validated here.</param>
    /// <param name="logger">Receives the life cycle events and, unless <see cref="PluginProcessStartInfo.OutputReceived"/> is set, the plugin's output lines.</param>
    /// <param name="cancellationToken">Cancels waiting to start; a plugin already started is not stopped.</param>
    /// <returns>The connected plugin; the caller owns it and disposes it.</returns>
    /// <exception cref="PluginStartException">The plugin could not be started, or this connector cannot start it here.</exception>
    /// <exception cref="ArgumentException"><paramref name="info"/> is invalid.</exception>
    Task<IConnectedPlugin> ConnectAsync(PluginProcessStartInfo info, ILogger logger, CancellationToken cancellationToken);
}
