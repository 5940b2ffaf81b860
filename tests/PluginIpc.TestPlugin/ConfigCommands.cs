using System.Globalization;
using System.Text.Json;
using PluginIpc;

/// <summary>
/// The bus mode's commands that use <see cref="Main.Config"/> (text in, text out; scopes by their wire names):
/// cfg.get "scope|key" (the value's JSON, or "absent"; an empty key answers the whole object); cfg.set "scope|key|json";
/// cfg.remove "scope|key" (True or False); cfg.setmany "scope|prefix|count" sets keys prefix0..prefix{count-1} to their
/// numbers, all at once, and answers once every one is done.
/// </summary>
internal static class ConfigCommands
{
    public static void Add(MainOptions options, Func<Main> main)
    {
        BusPlugin.Handle(options, "cfg.get", async text =>
        {
            string[] parts = text.Split('|', 2);
            if (parts[1].Length == 0)
            {
                return (await main().Config.GetAsync(Scope(parts[0]))).GetRawText();
            }

            return (await main().Config.GetAsync(Scope(parts[0]), parts[1]))?.GetRawText() ?? "absent";
        });
        BusPlugin.Handle(options, "cfg.set", async text =>
        {
            string[] parts = text.Split('|', 3);
            using JsonDocument value = JsonDocument.Parse(parts[2]);
            await main().Config.SetAsync(Scope(parts[0]), parts[1], value.RootElement);
            return "ok";
        });
        BusPlugin.Handle(options, "cfg.remove", async text =>
        {
            string[] parts = text.Split('|', 2);
            return (await main().Config.RemoveAsync(Scope(parts[0]), parts[1])).ToString();
        });
        BusPlugin.Handle(options, "cfg.setmany", async text =>
        {
            string[] parts = text.Split('|', 3);
            PluginConfigScope scope = Scope(parts[0]);
            int count = int.Parse(parts[2], CultureInfo.InvariantCulture);
            await Task.WhenAll(Enumerable.Range(0, count).Select(i =>
                SetNumberAsync(main(), scope, parts[1] + i.ToString(CultureInfo.InvariantCulture), i)));
            return "ok";
        });
    }

    private static async Task SetNumberAsync(Main main, PluginConfigScope scope, string key, int number)
    {
        using JsonDocument value = JsonDocument.Parse(number.ToString(CultureInfo.InvariantCulture));
        await main.Config.SetAsync(scope, key, value.RootElement);
    }

    private static PluginConfigScope Scope(string name) => name switch
    {
        "plugin" => PluginConfigScope.Plugin,
        "user" => PluginConfigScope.User,
        "system" => PluginConfigScope.System,
        _ => (PluginConfigScope)int.Parse(name, CultureInfo.InvariantCulture), // a number: to send an undefined scope
    };
}
