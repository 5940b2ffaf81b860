namespace PluginIpc.TestContracts;

/// <summary>What <see cref="IProbe.ForeverAsync"/> did: items produced, enumerations started, enumerations ended (disposed).</summary>
public sealed record ProbeCounters(long Produced, int Started, int Ended, int OpenStreams);
