using System.Text.Json;

namespace PluginIpc;

/// <summary>The rules of the configuration store's names: scopes on the wire and in paths, plugin names as file names, keys.</summary>
internal static class ConfigNames
{
    /// <summary>The longest plugin name the store takes, in UTF-8 bytes: its temporary file's name (42 bytes more) stays within 255.</summary>
    public const int MaxPluginNameBytes = 200;

    /// <summary>The deepest a value may nest arrays and objects: the file's object adds one, and files are read with JSON's usual limit of 64.</summary>
    public const int MaxValueDepth = 63;

    /// <summary>The depth files are read with (<see cref="MaxValueDepth"/> and the file's object).</summary>
    public const int MaxFileDepth = MaxValueDepth + 1;

    // Windows device names: a file named so, with any extension, is the device there; a store folder may move between systems.
    private static readonly string[] s_devices =
    [
        "con", "prn", "aux", "nul",
        "com0", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9", "com\u00B9", "com\u00B2", "com\u00B3",
        "lpt0", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9", "lpt\u00B9", "lpt\u00B2", "lpt\u00B3",
    ];

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

        if (UnpairedSurrogate(plugin) is { } at)
        {
            return $"The plugin name has an unpaired surrogate (U+{(int)plugin[at]:X4} at index {at}): it has no UTF-8 form to name a file.";
        }

        int bytes = System.Text.Encoding.UTF8.GetByteCount(plugin);
        if (bytes > MaxPluginNameBytes)
        {
            return $"The plugin name '{Start(plugin)}...' is {bytes} bytes in UTF-8, more than {MaxPluginNameBytes}: its file names (with a temporary file's suffix) must stay within 255 bytes.";
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

        // The device is the part before the first dot, trailing spaces aside ("nul .json" is the device too).
        int dot = plugin.IndexOf('.', StringComparison.Ordinal);
        string stem = (dot < 0 ? plugin : plugin[..dot]).TrimEnd(' ');
        if (Array.Exists(s_devices, device => string.Equals(device, stem, StringComparison.OrdinalIgnoreCase)))
        {
            return $"The plugin name '{plugin}' is a Windows device name ({stem.ToUpperInvariant()}), which cannot name a file there.";
        }

        return null;
    }

    /// <summary>Returns why <paramref name="key"/> is not a key of the store, or <see langword="null"/>.</summary>
    public static string? KeyProblem(string? key) =>
        string.IsNullOrEmpty(key) ? "A configuration key may not be empty."
        : key.Length > PluginConfigOptions.MaxKeyLength ? $"The configuration key '{Start(key)}...' is longer than {PluginConfigOptions.MaxKeyLength} characters."
        : UnpairedSurrogate(key) is { } at ? $"The configuration key has an unpaired surrogate (U+{(int)key[at]:X4} at index {at}): it has no UTF-8 form for the file."
        : null;

    /// <summary>Returns why <paramref name="value"/> cannot be stored, or <see langword="null"/>: it nests deeper than <see cref="MaxValueDepth"/>.</summary>
    public static string? ValueProblem(JsonElement value) =>
        TooDeep(value, MaxValueDepth)
            ? $"The value nests arrays and objects more than {MaxValueDepth} deep, the most a configuration value may: inside its file's object it would pass the {MaxFileDepth} levels files are read with."
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

    /// <exception cref="ArgumentException">The value nests too deep.</exception>
    public static void ValidateValue(JsonElement value, string parameter)
    {
        if (ValueProblem(value) is { } problem)
        {
            throw new ArgumentException(problem, parameter);
        }
    }

    /// <exception cref="ArgumentException">The key is empty, too long or not valid UTF-16.</exception>
    public static void ValidateKey(string key, string parameter)
    {
        ArgumentNullException.ThrowIfNull(key, parameter);
        if (KeyProblem(key) is { } problem)
        {
            throw new ArgumentException(problem, parameter);
        }
    }

    // Whether the value's arrays and objects nest more than `room` deep; stops once they do, so it recurses at most room + 1 deep.
    private static bool TooDeep(JsonElement value, int room)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                if (room == 0)
                {
                    return true;
                }

                foreach (JsonProperty property in value.EnumerateObject())
                {
                    if (TooDeep(property.Value, room - 1))
                    {
                        return true;
                    }
                }

                return false;
            case JsonValueKind.Array:
                if (room == 0)
                {
                    return true;
                }

                foreach (JsonElement item in value.EnumerateArray())
                {
                    if (TooDeep(item, room - 1))
                    {
                        return true;
                    }
                }

                return false;
            default:
                return false;
        }
    }

    /// <summary>The index of the first surrogate without its pair, or <see langword="null"/>.</summary>
    private static int? UnpairedSurrogate(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return i;
            }
        }

        return null;
    }

    // The first 40 characters, for a message: a surrogate pair is not cut in half.
    private static string Start(string text) => text[..(char.IsHighSurrogate(text[39]) ? 39 : 40)];
}
