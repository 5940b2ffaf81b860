namespace PluginIpc.Generators;

/// <summary>The names of the generator's steps, which tests look up to check that an unrelated edit leaves them cached.</summary>
internal static class TrackingNames
{
    public const string Contracts = nameof(Contracts);
}
