namespace PluginIpc;

/// <summary>
/// The framings by wire name, in one place: the launch contract, manifests, <see cref="PluginOptions"/>,
/// <see cref="Plugin"/> and <see cref="Main"/> all check and create framers here.
/// </summary>
internal static class FramerRegistry
{
    private static readonly Dictionary<string, Func<FramerOptions, IChunkFramer>> s_factories = new(StringComparer.Ordinal)
    {
        [NullTerminatedFramer.FramerName] = static options => new NullTerminatedFramer(options),
        [MessagePackFramer.FramerName] = static options => new MessagePackFramer(options),
    };

    /// <summary>Gets the name of the framing used when none is named.</summary>
    public static string Default => NullTerminatedFramer.FramerName;

    /// <summary>Gets the known names, quoted and joined for an error message: <c>'text' or 'msgpack'</c>.</summary>
    public static string KnownNames { get; } = string.Join(" or ", s_factories.Keys.Select(name => $"'{name}'"));

    /// <summary>Returns whether <paramref name="name"/> names a framing.</summary>
    public static bool IsKnown(string? name) => name is not null && s_factories.ContainsKey(name);

    /// <summary>Creates the framer named <paramref name="name"/> with the given limits.</summary>
    /// <exception cref="ArgumentException">No framing has that name.</exception>
    public static IChunkFramer Create(string name, FramerOptions? options = null) =>
        s_factories.TryGetValue(name, out Func<FramerOptions, IChunkFramer>? create)
            ? create(options ?? new FramerOptions())
            : throw new ArgumentException($"Unknown framer '{name}'; expected {KnownNames}.", nameof(name));
}
