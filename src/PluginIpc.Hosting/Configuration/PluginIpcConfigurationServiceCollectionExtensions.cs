using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using PluginIpc;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers PluginIpc's manager and plugins from configuration (appsettings.json or any other source).</summary>
public static class PluginIpcConfigurationServiceCollectionExtensions
{
    /// <summary>
    /// Registers the plugin manager with its settings from <paramref name="configuration"/>, every plugin under its <c>Plugins</c>
    /// key (one child section per plugin: its name, then <see cref="PluginOptions"/> properties and <c>StartMode</c>), and the
    /// hosted service of <c>AddPluginIpcHostedService</c>, so that in a generic host <see cref="StartMode.AtStartup"/> plugins start
    /// with the application and every plugin stops with it.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The section looks like this (keys are case insensitive; every key is optional but a plugin's <c>ExecutablePath</c>):
    /// <code>
    /// "PluginIpc": {
    ///   "PluginFolders": [ "plugins" ],          // replaces the default folder; relative to the application's base directory
    ///   "DefaultStartMode": "OnFirstUse",
    ///   "ThrowOnStartupFailure": false,
    ///   "Config": { "Directory": "config", "MaxFileBytes": 1048576 },   // the configuration store (PluginConfigOptions)
    ///   "Plugins": {
    ///     "echo": { "ExecutablePath": "dotnet", "Arguments": [ "plugins/EchoPlugin.dll" ], "Framer": "msgpack",
    ///               "StartMode": "AtStartup", "RestartPolicy": { "MaxRestarts": 3 }, "CallTimeout": "00:00:10" }
    ///   }
    /// }
    /// </code>
    /// </para>
    /// <para>
    /// Each plugin's options are validated when the host starts (<c>ValidateOnStart</c>): an unknown key, a value that does not
    /// convert, or an invalid setting fails the application's start with an <see cref="OptionsValidationException"/> whose message
    /// names the plugin and the key. Reloading configuration is not supported: the plugins, their start modes and the key
    /// checks come from the section as it is when this method is called (add configuration sources first), and a plugin's
    /// values are read when it starts, so a changed value reaches a plugin only at its next start by the manager. Call
    /// <c>AddPlugin(name)</c> with a name from the section to add code to that plugin: its handlers of the plugin's commands
    /// (<c>Setup</c>), or more options (<c>Configure</c>, <c>Validate</c> and the other <see cref="OptionsBuilder{TOptions}"/>
    /// conventions), which apply after the section's values.
    /// </para>
    /// </remarks>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The <c>PluginIpc</c> section, e.g. <c>builder.Configuration.GetSection("PluginIpc")</c>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddPluginIpc(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddPluginIpcHostedService(options => PluginIpcConfigurationBinder.BindManager(configuration, options));
        List<string> managerProblems = [.. PluginIpcConfigurationBinder.ManagerProblems(configuration)];
        OptionsBuilder<PluginIpcOptions> manager = services.AddOptions<PluginIpcOptions>().ValidateOnStart();
        if (managerProblems.Count > 0)
        {
            manager.Validate(_ => false, string.Join(Environment.NewLine, managerProblems));
        }

        foreach (IConfigurationSection section in configuration.GetSection(PluginIpcConfigurationBinder.PluginsKey).GetChildren())
        {
            PluginBuilder plugin = services.AddPlugin(section.Key);
            List<string> problems = [.. PluginIpcConfigurationBinder.PluginProblems(section)];
            if (PluginIpcConfigurationBinder.ReadStartMode(section, out string? startModeProblem) is { } startMode)
            {
                plugin.WithStartMode(startMode);
            }
            else if (startModeProblem is not null)
            {
                problems.Add(startModeProblem);
            }

            plugin.Configure(options => PluginIpcConfigurationBinder.BindPlugin(section, options));
            if (problems.Count > 0)
            {
                plugin.Validate(_ => false, string.Join(Environment.NewLine, problems));
            }

            plugin.ValidateOnStart();
        }

        return services;
    }
}
