namespace PluginIpc.Generators;

/// <summary>A contract interface, as the generated descriptor needs it: strings only, so that it compares by value.</summary>
/// <param name="Namespace">The interface's namespace, empty for the global one.</param>
/// <param name="DescriptorName">The generated class's name.</param>
/// <param name="InterfaceType">The interface, fully qualified with <c>global::</c>.</param>
/// <param name="ContractName">The contract's name on the wire.</param>
/// <param name="HintName">The generated file's name.</param>
/// <param name="Methods">Its methods, its own first, then those of its base interfaces.</param>
internal sealed record ContractModel(
    string Namespace,
    string DescriptorName,
    string InterfaceType,
    string ContractName,
    string HintName,
    EquatableArray<MethodModel> Methods);
