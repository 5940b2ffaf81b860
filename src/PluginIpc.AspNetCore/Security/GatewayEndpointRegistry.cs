using Microsoft.AspNetCore.Routing;

namespace PluginIpc.AspNetCore.Security;

/// <summary>The route builders MapPluginGateway mapped into, so the start check can read their endpoints before the server listens.</summary>
internal sealed class GatewayEndpointRegistry
{
    private readonly List<IEndpointRouteBuilder> _builders = [];

    public void Add(IEndpointRouteBuilder builder)
    {
        lock (_builders)
        {
            _builders.Add(builder);
        }
    }

    public IReadOnlyList<EndpointDataSource> DataSources()
    {
        lock (_builders)
        {
            return [.. _builders.SelectMany(b => b.DataSources).Distinct()];
        }
    }
}
