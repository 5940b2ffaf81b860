using System.Text.Json;

namespace PluginIpc.AspNetCore.Tests.WebChannel;

/// <summary>A configuration store whose every call fails in a way the gateway does not expect: an operation that fails inside the gateway.</summary>
internal sealed class FailingConfigStore : IPluginConfigStore
{
    public Task<JsonElement> GetAsync(string plugin, PluginConfigScope scope, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("A store that fails.");

    public Task<JsonElement?> GetAsync(string plugin, PluginConfigScope scope, string key, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("A store that fails.");

    public Task SetAsync(string plugin, PluginConfigScope scope, string key, JsonElement value, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("A store that fails.");

    public Task<bool> RemoveAsync(string plugin, PluginConfigScope scope, string key, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("A store that fails.");
}
