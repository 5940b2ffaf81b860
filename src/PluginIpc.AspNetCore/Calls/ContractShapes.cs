using System.Runtime.CompilerServices;

namespace PluginIpc.AspNetCore.Calls;

/// <summary>The contract methods a plugin announces in its handshake (keys <c>contract.{name}</c>, docs/PROTOCOL.md section 8).</summary>
internal static class ContractShapes
{
    private const string MetadataPrefix = "contract.";

    // Metadata is one dictionary per start of a plugin: keyed on it, a restarted plugin's new shapes are read again.
    private static readonly ConditionalWeakTable<IReadOnlyDictionary<string, string>, HashSet<string>> s_methods = [];

    /// <summary>Returns whether <paramref name="cmd"/> is a method of a contract <paramref name="plugin"/> announces.</summary>
    public static bool IsContractMethod(Plugin plugin, string cmd) =>
        s_methods.GetValue(plugin.Metadata, Read).Contains(cmd);

    private static HashSet<string> Read(IReadOnlyDictionary<string, string> metadata)
    {
        var methods = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string key, string shape) in metadata)
        {
            if (!key.StartsWith(MetadataPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            // {contract hash};{cmd}={method hash};...
            foreach (string part in shape.Split(';').Skip(1))
            {
                int equals = part.LastIndexOf('=');
                if (equals > 0)
                {
                    methods.Add(part[..equals]);
                }
            }
        }

        return methods;
    }
}
