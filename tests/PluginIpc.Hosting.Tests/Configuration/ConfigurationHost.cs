using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace PluginIpc.Hosting.Tests;

/// <summary>Builds generic hosts whose PluginIpc section comes from JSON, as an appsettings.json would give it.</summary>
internal static class ConfigurationHost
{
    /// <summary>Returns a host builder whose configuration is <paramref name="json"/> and whose services hold <c>AddPluginIpc(section)</c>.</summary>
    public static HostApplicationBuilder Create(string json)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json)));
        builder.Services.AddPluginIpc(builder.Configuration.GetSection("PluginIpc"));
        return builder;
    }

    /// <summary>Returns a JSON string literal for <paramref name="value"/>.</summary>
    public static string Quote(string value) => System.Text.Json.JsonSerializer.Serialize(value);

    /// <summary>Returns the JSON of a <c>PluginIpc</c> section with one plugin, <c>trace</c>, running TestPlugin in trace mode by a relative path.</summary>
    /// <param name="extra">More JSON members of the plugin, each followed by a comma.</param>
    public static string TracePluginSection(string extra = "") =>
        $$"""
        {
          "PluginIpc": {
            "PluginFolders": [],
            "Plugins": {
              "trace": {
                {{extra}}
                "ExecutablePath": {{Quote(PluginIpc.Tests.Processes.TestPlugin.DotnetPath)}},
                "Arguments": [ "exec", "PluginIpc.TestPlugin.dll", "trace" ],
                "Framer": "msgpack",
                "StartTimeout": "00:00:20"
              }
            }
          }
        }
        """;
}
