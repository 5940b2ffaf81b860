using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PluginIpc;
using Samples.Shop;

namespace BusApp;

/// <summary>The services of a BusApp host: PluginIpc with the shop's application id, the plugins it runs, and Redis when given.</summary>
internal static class Shop
{
    /// <summary>Builds the services of a host that runs <paramref name="plugins"/> ("orders", "inventory"), through Redis when <paramref name="redis"/> is set.</summary>
    public static ServiceProvider CreateHost(string? redis, params string[] plugins)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        services.AddPluginIpc(options =>
        {
            options.PluginFolders.Clear(); // the plugins are registered below, with their allow-lists
            options.Bus.ApplicationId = ShopTopics.ApplicationId; // ":orders.created" is "shop:orders.created"
        });
        if (redis is not null)
        {
            services.AddPluginIpcRedisBus(redis); // every host on this Redis shares the bus
        }

        if (plugins.Contains("orders"))
        {
            // No allow-lists: it may publish and subscribe to every topic but the system ones.
            services.AddPlugin("orders", options => Run(options, "OrdersPlugin"));
        }

        if (plugins.Contains("inventory"))
        {
            services.AddPlugin("inventory", options =>
            {
                Run(options, "InventoryPlugin");

                // Allow-lists, checked by the host: it may publish its own topics only, and hear orders and status requests.
                options.BusPublishTopics = [":inventory.*", ShopTopics.ReadyPrefix + "inventory", ShopTopics.ConfiguredPrefix + "inventory"];
                options.BusSubscribeTopics = [ShopTopics.OrderCreated, ShopTopics.Status];
            });
        }

        return services.BuildServiceProvider();
    }

    private static void Run(PluginOptions options, string assemblyName)
    {
        options.ExecutablePath = PluginLocation.DotnetPath;
        options.Arguments.Add("exec");
        options.Arguments.Add(PluginLocation.DllPath(assemblyName));
    }
}
