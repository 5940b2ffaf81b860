using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PluginIpc.AspNetCore.Dashboard;
using PluginIpc.AspNetCore.Diagnostics;

namespace PluginIpc.AspNetCore.Security;

/// <summary>
/// Fails the application's start when a gateway endpoint has no authentication (see <see cref="GatewayAccess.ConfigurationProblem"/>)
/// or the options are invalid. The same rule refuses each request, should the endpoint run without this check.
/// </summary>
internal sealed class GatewayStartupCheck(GatewayEndpointRegistry registry, GatewayAccess access, DashboardAccess dashboardAccess, IOptions<PluginGatewayOptions> options, ILoggerFactory loggerFactory) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = options.Value; // throws OptionsValidationException naming the wrong option
        IReadOnlyList<EndpointDataSource> sources = registry.DataSources();
        foreach (Endpoint endpoint in sources.SelectMany(source => source.Endpoints))
        {
            string? problem = endpoint.Metadata.GetMetadata<GatewayEndpointMetadata>() is not null ? access.ConfigurationProblem(endpoint)
                : endpoint.Metadata.GetMetadata<DashboardEndpointMetadata>() is not null ? dashboardAccess.ConfigurationProblem(endpoint)
                : null;
            if (problem is not null)
            {
                GatewayLog.NoAuthentication(loggerFactory.CreateLogger(GatewayLog.Category), problem);
                throw new InvalidOperationException(problem);
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
