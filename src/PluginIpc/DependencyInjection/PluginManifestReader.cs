using System.Globalization;
using System.Text.Json;

namespace PluginIpc;

/// <summary>Reads and checks <c>plugin.json</c> manifests.</summary>
/// <remarks>
/// <para>A manifest looks like this; only <c>command</c> is required:</para>
/// <code>
/// {
///   "name": "echo",                        // defaults to the folder's name
///   "command": "dotnet",                   // a path with a directory part is relative to the plugin folder; a bare name is looked up on PATH
///   "arguments": ["exec", "../../EchoPlugin.dll"],
///   "framer": "msgpack",                   // text (default) or msgpack
///   "transport": "pipes",                  // pipes (default) or stdio
///   "environment": { "LEVEL": "debug" },   // null removes a variable
///   "restartPolicy": { "maxRestarts": 3, "windowSeconds": 60, "initialDelayMs": 200, "maxDelayMs": 10000 }, // or "never" (default) or "onFailure"
///   "startMode": "onFirstUse",             // or atStartup; defaults to PluginIpcOptions.DefaultStartMode
///   "bus": { "publish": ["orders.*"], "subscribe": ["inventory.*", ":prices"] } // allow-lists; missing: any non-sys. topic
/// }
/// </code>
/// <para>The plugin runs with its folder as working directory, so relative arguments are relative to the folder too.</para>
/// </remarks>
internal static class PluginManifestReader
{
    public const string FileName = "plugin.json";

    /// <summary>Reads the manifest at <paramref name="path"/>.</summary>
    /// <returns>The definition, or <see langword="null"/> with <paramref name="error"/> naming the file and the field at fault.</returns>
    public static PluginDefinition? TryRead(string path, StartMode defaultStartMode, out PluginDiscoveryError? error)
    {
        path = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(path)!;
        PluginManifest? manifest;
        try
        {
            using FileStream stream = File.OpenRead(path);
            manifest = JsonSerializer.Deserialize(stream, PluginManifestJsonContext.Default.PluginManifest);
        }
        catch (JsonException ex)
        {
            string? field = FieldOf(ex.Path);
            string where = ex.LineNumber is { } line ? $" (line {line + 1}, byte {ex.BytePositionInLine + 1})" : string.Empty;
            error = new PluginDiscoveryError(path, field, $"invalid JSON{where}: {ex.Message}");
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = new PluginDiscoveryError(path, null, $"cannot be read: {ex.Message}");
            return null;
        }

        if (manifest is null)
        {
            error = new PluginDiscoveryError(path, null, "must hold a JSON object, not null.");
            return null;
        }

        string name = manifest.Name ?? Path.GetFileName(folder);
        if (string.IsNullOrWhiteSpace(name))
        {
            return Fail(path, "name", "must not be empty.", out error);
        }

        if (string.IsNullOrWhiteSpace(manifest.Command))
        {
            return Fail(path, "command", "is required: the plugin's executable, relative to the plugin folder, or a program on PATH such as 'dotnet'.", out error);
        }

        string command = PluginPaths.ResolveExecutable(manifest.Command, folder);
        string framer = manifest.Framer ?? FramerRegistry.Default;
        if (!FramerRegistry.IsKnown(framer))
        {
            return Fail(path, "framer", $"must be {FramerRegistry.KnownNames}, not '{framer}'.", out error);
        }

        PluginTransport transport;
        switch (manifest.Transport)
        {
            case null or "pipes":
                transport = PluginTransport.InheritedPipes;
                break;
            case "stdio":
                transport = PluginTransport.Stdio;
                break;
            default:
                return Fail(path, "transport", $"must be 'pipes' or 'stdio', not '{manifest.Transport}'.", out error);
        }

        StartMode startMode;
        switch (manifest.StartMode)
        {
            case null:
                startMode = defaultStartMode;
                break;
            case "onFirstUse":
                startMode = StartMode.OnFirstUse;
                break;
            case "atStartup":
                startMode = StartMode.AtStartup;
                break;
            default:
                return Fail(path, "startMode", $"must be 'onFirstUse' or 'atStartup', not '{manifest.StartMode}'.", out error);
        }

        int nullArgument = manifest.Arguments?.IndexOf(null!) ?? -1;
        if (nullArgument >= 0)
        {
            return Fail(path, $"arguments[{nullArgument}]", "must be a string, not null.", out error);
        }

        if (!TryReadRestartPolicy(path, manifest.RestartPolicy, out RestartPolicy? restartPolicy, out error))
        {
            return null;
        }

        foreach ((string field, List<string>? topics) in new[] { ("bus.publish", manifest.Bus?.Publish), ("bus.subscribe", manifest.Bus?.Subscribe) })
        {
            for (int i = 0; topics is not null && i < topics.Count; i++)
            {
                if (topics[i] is not { } topic || BusTopics.Problem(topic, pattern: true) is not null)
                {
                    return Fail(path, $"{field}[{i}]", topics[i] is null ? "must be a string, not null." : BusTopics.Problem(topics[i], pattern: true)!, out error);
                }
            }
        }

        string[]? busPublish = manifest.Bus?.Publish?.ToArray();
        string[]? busSubscribe = manifest.Bus?.Subscribe?.ToArray();

        string[] arguments = [.. manifest.Arguments ?? []];
        Dictionary<string, string?> environment = manifest.Environment ?? [];
        error = null;
        return new PluginDefinition(name, startMode, CreateOptions, [], path);

        PluginOptions CreateOptions()
        {
            var options = new PluginOptions
            {
                Name = name,
                ExecutablePath = command,
                WorkingDirectory = folder,
                Framer = framer,
                Transport = transport,
                RestartPolicy = restartPolicy!.Clone(), // each start gets its own
                BusPublishTopics = busPublish is null ? null : [.. busPublish],
                BusSubscribeTopics = busSubscribe is null ? null : [.. busSubscribe],
            };
            foreach (string argument in arguments)
            {
                options.Arguments.Add(argument);
            }

            foreach (KeyValuePair<string, string?> variable in environment)
            {
                options.Environment[variable.Key] = variable.Value;
            }

            return options;
        }
    }

    private static bool TryReadRestartPolicy(string path, JsonElement? element, out RestartPolicy? policy, out PluginDiscoveryError? error)
    {
        policy = RestartPolicy.Never;
        error = null;
        if (element is not { } value || value.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            switch (value.GetString())
            {
                case "never":
                    return true;
                case "onFailure":
                    policy = RestartPolicy.OnFailure;
                    return true;
                default:
                    Fail(path, "restartPolicy", $"must be 'never', 'onFailure' or an object {{maxRestarts, windowSeconds, initialDelayMs, maxDelayMs}}, not '{value.GetString()}'.", out error);
                    return false;
            }
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            Fail(path, "restartPolicy", $"must be 'never', 'onFailure' or an object {{maxRestarts, windowSeconds, initialDelayMs, maxDelayMs}}, not a JSON {value.ValueKind}.", out error);
            return false;
        }

        PluginManifestRestartPolicy? fields;
        try
        {
            fields = value.Deserialize(PluginManifestJsonContext.Default.PluginManifestRestartPolicy);
        }
        catch (JsonException ex)
        {
            Fail(path, "restartPolicy" + (FieldOf(ex.Path) is { } field ? "." + field : string.Empty), ex.Message, out error);
            return false;
        }

        var defaults = new RestartPolicy();
        int maxRestarts = fields!.MaxRestarts ?? defaults.MaxRestarts;
        double windowSeconds = fields.WindowSeconds ?? defaults.Window.TotalSeconds;
        double initialDelayMs = fields.InitialDelayMs ?? defaults.InitialDelay.TotalMilliseconds;
        double maxDelayMs = fields.MaxDelayMs ?? Math.Max(defaults.MaxDelay.TotalMilliseconds, initialDelayMs);
        string? problem =
            maxRestarts < 0 ? "maxRestarts" :
            !(windowSeconds > 0 && windowSeconds <= TimeSpan.MaxValue.TotalSeconds / 2) ? "windowSeconds" :
            !(initialDelayMs >= 0 && initialDelayMs <= int.MaxValue) ? "initialDelayMs" :
            !(maxDelayMs >= initialDelayMs && maxDelayMs <= int.MaxValue) ? "maxDelayMs" : null;
        if (problem is not null)
        {
            string rule = problem switch
            {
                "maxRestarts" => $"must be 0 or more, not {maxRestarts}.",
                "windowSeconds" => $"must be a positive number of seconds, not {windowSeconds.ToString(CultureInfo.InvariantCulture)}.",
                "initialDelayMs" => $"must be 0 or more milliseconds, not {initialDelayMs.ToString(CultureInfo.InvariantCulture)}.",
                _ => $"must be at least initialDelayMs ({initialDelayMs.ToString(CultureInfo.InvariantCulture)}), not {maxDelayMs.ToString(CultureInfo.InvariantCulture)}.",
            };
            Fail(path, "restartPolicy." + problem, rule, out error);
            return false;
        }

        policy = new RestartPolicy
        {
            MaxRestarts = maxRestarts,
            Window = TimeSpan.FromSeconds(windowSeconds),
            InitialDelay = TimeSpan.FromMilliseconds(initialDelayMs),
            MaxDelay = TimeSpan.FromMilliseconds(maxDelayMs),
        };
        return true;
    }

    /// <summary>Turns a JSON path such as <c>$.arguments[1]</c> into a field name such as <c>arguments[1]</c>.</summary>
    private static string? FieldOf(string? jsonPath) =>
        jsonPath is null or "$" ? null : jsonPath.StartsWith("$.", StringComparison.Ordinal) ? jsonPath[2..] : jsonPath.TrimStart('$');

    private static PluginDefinition? Fail(string path, string field, string problem, out PluginDiscoveryError error)
    {
        error = new PluginDiscoveryError(path, field, problem);
        return null;
    }
}
