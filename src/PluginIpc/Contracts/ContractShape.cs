using System.Globalization;
using System.Text;

namespace PluginIpc.Contracts;

/// <summary>
/// The shape of a contract in the handshake: metadata <c>contract.{name}</c> = <c>{hash};{cmd}={hash};...</c>, with FNV-1a
/// 32-bit hashes in eight lowercase hex digits, the first of all signatures (sorted, each ending in a line feed), then one per method.
/// </summary>
internal static class ContractShape
{
    /// <summary>The prefix of the handshake metadata keys that carry contracts' shapes.</summary>
    public const string MetadataPrefix = "contract.";

    /// <summary>Returns the FNV-1a 32-bit hash of <paramref name="text"/>'s UTF-8 bytes.</summary>
    public static uint Hash(string text)
    {
        uint hash = 2166136261;
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 16777619;
        }

        return hash;
    }

    /// <summary>Describes <paramref name="methods"/> as the handshake carries them.</summary>
    public static string Describe(IReadOnlyList<ContractMethod> methods)
    {
        var signatures = new List<string>(methods.Count);
        foreach (ContractMethod method in methods)
        {
            signatures.Add(method.Signature + "\n");
        }

        signatures.Sort(StringComparer.Ordinal);
        var shape = new StringBuilder(Hash(string.Concat(signatures)).ToString("x8", CultureInfo.InvariantCulture));
        foreach (ContractMethod method in methods)
        {
            shape.Append(';').Append(method.Cmd).Append('=').Append(method.SignatureHash.ToString("x8", CultureInfo.InvariantCulture));
        }

        return shape.ToString();
    }

    /// <summary>
    /// Compares this side's <paramref name="contract"/> with the shape the other side announced, method by method.
    /// </summary>
    /// <returns>Per method, why it cannot be called (<see langword="null"/> when it can); <see langword="null"/> when all can.</returns>
    public static string?[]? FindMismatches(ContractDescriptor contract, string remoteShape, string peerName)
    {
        if (remoteShape == contract.Shape)
        {
            return null;
        }

        var remote = new Dictionary<string, string>(StringComparer.Ordinal);
        string[] parts = remoteShape.Split(';');
        for (int i = 1; i < parts.Length; i++)
        {
            int equals = parts[i].LastIndexOf('=');
            if (equals > 0)
            {
                remote[parts[i][..equals]] = parts[i][(equals + 1)..];
            }
        }

        string?[] problems = new string?[contract.Methods.Count];
        bool any = false;
        for (int i = 0; i < problems.Length; i++)
        {
            ContractMethod method = contract.Methods[i];
            string mine = method.SignatureHash.ToString("x8", CultureInfo.InvariantCulture);
            if (!remote.TryGetValue(method.Cmd, out string? theirs))
            {
                problems[i] = $"{peerName} implements another version of contract '{contract.Name}': it has no method '{method.Cmd}' (this side: {method.Signature}). Build both sides against the same contract.";
            }
            else if (theirs != mine)
            {
                problems[i] = $"{peerName} implements another version of contract '{contract.Name}': method '{method.Cmd}' differs (this side: {method.Signature}, shape {mine}; the other side's shape {theirs}). Build both sides against the same contract.";
            }
            else
            {
                continue;
            }

            any = true;
        }

        return any ? problems : null;
    }
}
