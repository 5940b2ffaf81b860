namespace PluginIpc.TestContracts;

/// <summary>A plain record with no attributes, as contracts carry user types.</summary>
public sealed record Point(int X, int Y);
