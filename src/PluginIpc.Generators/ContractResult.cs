namespace PluginIpc.Generators;

/// <summary>What the generator makes of one <c>[PluginContract]</c> interface: its model when it is valid, and its diagnostics.</summary>
/// <param name="Contract">The model, or <see langword="null"/> when the interface has errors (or does not compile).</param>
/// <param name="Diagnostics">What to report.</param>
internal sealed record ContractResult(ContractModel? Contract, EquatableArray<DiagnosticInfo> Diagnostics);
