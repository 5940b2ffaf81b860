using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace PluginIpc;

/// <summary>
/// Reads a <c>PluginIpc</c> configuration section: the manager's settings at its top, one plugin per child of <c>Plugins</c>.
/// Unknown keys and values that do not convert are reported as validation failures naming the configuration key, never ignored.
/// </summary>
internal static class PluginIpcConfigurationBinder
{
    /// <summary>The key of the section that holds one child section per plugin.</summary>
    public const string PluginsKey = "Plugins";

    /// <summary>The key, in a plugin's section, of its <see cref="StartMode"/>; the rest are <see cref="PluginOptions"/> properties.</summary>
    public const string StartModeKey = "StartMode";

    private static readonly string[] s_managerKeys =
        [nameof(PluginIpcOptions.PluginFolders), PluginsKey, nameof(PluginIpcOptions.DefaultStartMode), nameof(PluginIpcOptions.ThrowOnStartupFailure), nameof(PluginIpcOptions.Config)];

    private static readonly string[] s_configKeys = [nameof(PluginConfigOptions.Directory), nameof(PluginConfigOptions.MaxFileBytes)];

    private static readonly string[] s_pluginKeys = [.. BindableProperties(typeof(PluginOptions)), StartModeKey];
    private static readonly string[] s_restartPolicyKeys = [.. BindableProperties(typeof(RestartPolicy))];
    private static readonly string[] s_framerOptionsKeys = [.. BindableProperties(typeof(FramerOptions))];

    /// <summary>Sets <paramref name="options"/> from the top of the section; a listed <c>PluginFolders</c> replaces the default folder.</summary>
    /// <exception cref="OptionsValidationException">A value does not convert; the message names its key.</exception>
    public static void BindManager(IConfiguration section, PluginIpcOptions options)
    {
        IConfigurationSection folders = section.GetSection(nameof(PluginIpcOptions.PluginFolders));
        if (folders.GetChildren().Any() || folders.Value is not null)
        {
            options.PluginFolders.Clear();
            IEnumerable<string?> listed = folders.GetChildren().Any() ? folders.GetChildren().Select(folder => folder.Value) : [folders.Value];
            foreach (string? folder in listed)
            {
                if (!string.IsNullOrWhiteSpace(folder))
                {
                    options.PluginFolders.Add(folder); // blank entries are reported by ManagerProblems
                }
            }
        }

        if (section[nameof(PluginIpcOptions.DefaultStartMode)] is { } startMode)
        {
            options.DefaultStartMode = ParseStartMode(startMode, KeyOf(section, nameof(PluginIpcOptions.DefaultStartMode)), Options.DefaultName);
        }

        if (section[nameof(PluginIpcOptions.ThrowOnStartupFailure)] is { } throwOnFailure)
        {
            options.ThrowOnStartupFailure = bool.TryParse(throwOnFailure, out bool value)
                ? value
                : throw Invalid<PluginIpcOptions>(Options.DefaultName, $"PluginIpc configuration: '{KeyOf(section, nameof(PluginIpcOptions.ThrowOnStartupFailure))}' must be true or false, not '{throwOnFailure}'.");
        }

        IConfigurationSection config = section.GetSection(nameof(PluginIpcOptions.Config));
        if (config[nameof(PluginConfigOptions.Directory)] is { } directory)
        {
            options.Config.Directory = directory; // checked when the store is made
        }

        if (config[nameof(PluginConfigOptions.MaxFileBytes)] is { } maxFileBytes)
        {
            options.Config.MaxFileBytes = long.TryParse(maxFileBytes, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long bytes) && bytes >= 2
                ? bytes
                : throw Invalid<PluginIpcOptions>(Options.DefaultName, $"PluginIpc configuration: '{config.Path}:{nameof(PluginConfigOptions.MaxFileBytes)}' must be a whole number of bytes, at least 2, not '{maxFileBytes}'.");
        }
    }

    /// <summary>Returns what is wrong at the top of the section (unknown keys, blank plugin folders), each as a failure message naming the key.</summary>
    public static IEnumerable<string> ManagerProblems(IConfiguration section)
    {
        IEnumerable<string> blankFolders = section.GetSection(nameof(PluginIpcOptions.PluginFolders)).GetChildren()
            .Where(folder => string.IsNullOrWhiteSpace(folder.Value) && !folder.GetChildren().Any())
            .Select(folder => $"PluginIpc configuration: '{folder.Path}' is blank; a plugin folder is a path.");
        return Unknown(section, s_managerKeys, "a setting of PluginIpc", "PluginIpc configuration")
            .Concat(Unknown(section.GetSection(nameof(PluginIpcOptions.Config)), s_configKeys, "a Config setting", "PluginIpc configuration"))
            .Concat(blankFolders);
    }

    /// <summary>Sets a plugin's options from its section (all keys but <c>StartMode</c>).</summary>
    /// <exception cref="OptionsValidationException">A value does not convert; the message names the plugin and the key.</exception>
    public static void BindPlugin(IConfigurationSection section, PluginOptions options)
    {
        try
        {
            section.Bind(options);

            // The generated binder leaves init-only properties alone: these two objects are read here.
            IConfigurationSection policy = section.GetSection(nameof(PluginOptions.RestartPolicy));
            if (policy.Exists())
            {
                RestartPolicy current = options.RestartPolicy ?? RestartPolicy.Never;
                options.RestartPolicy = new RestartPolicy
                {
                    MaxRestarts = Read(policy, nameof(RestartPolicy.MaxRestarts), current.MaxRestarts),
                    Window = Read(policy, nameof(RestartPolicy.Window), current.Window),
                    InitialDelay = Read(policy, nameof(RestartPolicy.InitialDelay), current.InitialDelay),
                    MaxDelay = Read(policy, nameof(RestartPolicy.MaxDelay), current.MaxDelay),
                };
            }

            IConfigurationSection limits = section.GetSection(nameof(PluginOptions.FramerOptions));
            if (limits.Exists())
            {
                FramerOptions current = options.FramerOptions ?? new FramerOptions();
                options.FramerOptions = new FramerOptions
                {
                    MaxCmdBytes = Read(limits, nameof(FramerOptions.MaxCmdBytes), current.MaxCmdBytes),
                    MaxChunkBytes = Read(limits, nameof(FramerOptions.MaxChunkBytes), current.MaxChunkBytes),
                };
            }
        }
        catch (InvalidOperationException ex)
        {
            throw Invalid<PluginOptions>(section.Key, $"Plugin '{section.Key}': {ex.Message}");
        }
    }

    /// <summary>Reads one value of <paramref name="section"/>, or returns <paramref name="current"/> when it is absent.</summary>
    /// <exception cref="InvalidOperationException">The value does not convert; the message names its key, as the binder's do.</exception>
    private static T Read<T>(IConfigurationSection section, string key, T current)
        where T : ISpanParsable<T>
    {
        if (section[key] is not { } value)
        {
            return current;
        }

        return T.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out T? parsed)
            ? parsed
            : throw new InvalidOperationException($"Failed to convert configuration value '{value}' at '{section.Path}:{key}' to type '{typeof(T)}'.");
    }

    /// <summary>Returns the plugin's start mode from its section, or <see langword="null"/> when the section does not set one.</summary>
    /// <param name="section">The plugin's section.</param>
    /// <param name="problem">Why the value is not a start mode, naming its key; <see langword="null"/> when it is one or is absent.</param>
    public static StartMode? ReadStartMode(IConfigurationSection section, out string? problem)
    {
        problem = null;
        if (section[StartModeKey] is not { } value)
        {
            return null;
        }

        if (TryParseStartMode(value, out StartMode mode))
        {
            return mode;
        }

        problem = $"Plugin '{section.Key}': '{KeyOf(section, StartModeKey)}' must be {nameof(StartMode.OnFirstUse)} or {nameof(StartMode.AtStartup)}, not '{value}'.";
        return null;
    }

    /// <summary>
    /// Returns what is wrong with a plugin's section that binding would not catch (unknown keys, an array of plugins, a
    /// transport given as a number), each as a failure message naming the plugin and the key.
    /// </summary>
    public static IEnumerable<string> PluginProblems(IConfigurationSection section)
    {
        string owner = $"Plugin '{section.Key}'";
        IEnumerable<string> problems = Unknown(section, s_pluginKeys, "a plugin setting", owner)
            .Concat(Unknown(section.GetSection(nameof(PluginOptions.RestartPolicy)), s_restartPolicyKeys, "a RestartPolicy setting", owner))
            .Concat(Unknown(section.GetSection(nameof(PluginOptions.FramerOptions)), s_framerOptionsKeys, "a FramerOptions setting", owner));
        if (section.Key.All(char.IsAsciiDigit))
        {
            problems = problems.Append($"{owner}: '{section.Path}': {PluginsKey} must be an object whose keys are plugin names, not an array.");
        }

        if (section[nameof(PluginOptions.Transport)] is { } transport && !IsName<PluginTransport>(transport))
        {
            problems = problems.Append($"{owner}: '{KeyOf(section, nameof(PluginOptions.Transport))}' must be one of {string.Join(", ", Enum.GetNames<PluginTransport>())}, not '{transport}'.");
        }

        return problems;
    }

    private static IEnumerable<string> Unknown(IConfiguration section, string[] known, string what, string owner) =>
        section.GetChildren()
            .Where(child => !known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            .Select(child => $"{owner}: '{child.Path}' is not {what}; the known ones are {string.Join(", ", known)}.");

    /// <summary>Parses a start mode by name only: numbers, which <see cref="Enum.TryParse{TEnum}(string, bool, out TEnum)"/> also takes, are refused.</summary>
    private static bool TryParseStartMode(string value, out StartMode mode) =>
        Enum.TryParse(value, ignoreCase: true, out mode) && IsName<StartMode>(value);

    /// <summary>Gets a value indicating whether <paramref name="value"/> is the name (any case) of a member of <typeparamref name="TEnum"/>.</summary>
    private static bool IsName<TEnum>(string value)
        where TEnum : struct, Enum =>
        Enum.GetNames<TEnum>().Contains(value.Trim(), StringComparer.OrdinalIgnoreCase);

    private static StartMode ParseStartMode(string value, string key, string optionsName) =>
        TryParseStartMode(value, out StartMode mode)
            ? mode
            : throw Invalid<PluginIpcOptions>(optionsName, $"PluginIpc configuration: '{key}' must be {nameof(StartMode.OnFirstUse)} or {nameof(StartMode.AtStartup)}, not '{value}'.");

    private static string KeyOf(IConfiguration section, string key) => section is IConfigurationSection named ? $"{named.Path}:{key}" : key;

    private static OptionsValidationException Invalid<TOptions>(string name, string failure) => new(name, typeof(TOptions), [failure]);

    /// <summary>The properties a configuration binder can set: public, settable or a collection, of a type configuration can express.</summary>
    private static IEnumerable<string> BindableProperties([System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicProperties)] Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(property => property.PropertyType.IsValueType || property.PropertyType == typeof(string) || property.PropertyType == typeof(RestartPolicy)
                || property.PropertyType == typeof(FramerOptions) || property.PropertyType == typeof(IList<string>) || property.PropertyType == typeof(IDictionary<string, string?>))
            .Select(property => property.Name);
}
