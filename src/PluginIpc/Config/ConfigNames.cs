namespace PluginIpc;

/// <summary>The rules of the configuration store's names: scopes on the wire and in paths, plugin names as file names, keys.</summary>
internal static class ConfigNames
{
    /// <summary>The longest plugin name the store takes, in UTF-16 characters.</summary>
    public const int MaxPluginNameLength = 128;

    /// <summary>Returns the scope's name on the wire and as its folder: <c>plugin</c>, <c>user</c> or <c>system</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined scope.</exception>
    public static string Of(PluginConfigScope scope) => scope switch
    {
        PluginConfigScope.Plugin => "plugin",
        PluginConfigScope.User => "user",
        PluginConfigScope.System => "system",
        _ => throw new ArgumentOutOfRangeException(nameof(scope), scope, "Not a PluginConfigScope."),
    };

    /// <summary>Reads a scope's wire name (exact, lower case).</summary>
    public static bool TryParse(string? name, out PluginConfigScope scope)
    {
        switch (name)
        {
            case "plugin":
                scope = PluginConfigScope.Plugin;
                return true;
            case "user":
                scope = PluginConfigScope.User;
                return true;
            case "system":
                scope = PluginConfigScope.System;
                return true;
            default:
                scope = default;
                return false;
        }
    }

    /// <summary>Returns why <paramref name="plugin"/> cannot name a file of the store, or <see langword="null"/>.</summary>
    public static string? PluginProblem(string? plugin)
    {
        if (string.IsNullOrEmpty(plugin))
        {
            return "A plugin name may not be empty.";
        }

        if (plugin.Length > MaxPluginNameLength)
        {
            return $"The plugin name '{plugin[..40]}...' is longer than {MaxPluginNameLength} characters.";
        }

        if (plugin is "." or ".." || plugin.Trim() != plugin || plugin.EndsWith('.'))
        {
            return $"The plugin name '{plugin}' is not a safe file name (it is '.' or '..', or starts or ends with a space, or ends with '.').";
        }

        foreach (char c in plugin)
        {
            // Both systems' separators and Windows' reserved characters, everywhere: a store folder may move between systems.
            if (char.IsControl(c) || c is '/' or '\\' or ':' or '*' or '?' or '"' or '<' or '>' or '|')
            {
                return $"The plugin name '{plugin}' has a character a file name may not have (U+{(int)c:X4}).";
            }
        }

        return null;
    }

    /// <summary>Returns why <paramref name="key"/> is not a key of the store, or <see langword="null"/>.</summary>
    public static string? KeyProblem(string? key) =>
        string.IsNullOrEmpty(key) ? "A configuration key may not be empty."
        : key.Length > PluginConfigOptions.MaxKeyLength ? $"The configuration key '{key[..40]}...' is longer than {PluginConfigOptions.MaxKeyLength} characters."
        : null;

    /// <exception cref="ArgumentException">The plugin name is not safe.</exception>
    public static void ValidatePlugin(string plugin, string parameter)
    {
        ArgumentNullException.ThrowIfNull(plugin, parameter);
        if (PluginProblem(plugin) is { } problem)
        {
            throw new ArgumentException(problem, parameter);
        }
    }

    /// <exception cref="ArgumentException">The key is empty or too long.</exception>
    public static void ValidateKey(string key, string parameter)
    {
        ArgumentNullException.ThrowIfNull(key, parameter);
        if (KeyProblem(key) is { } problem)
        {
            throw new ArgumentException(problem, parameter);
        }
    }
}
