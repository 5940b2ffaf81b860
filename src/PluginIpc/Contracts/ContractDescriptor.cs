using System.ComponentModel;

namespace PluginIpc.Contracts;

/// <summary>A contract's name and methods, as the source generator describes them.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class ContractDescriptor
{
    /// <summary>Initializes the description. For generated code.</summary>
    /// <param name="name">The contract's name on the wire.</param>
    /// <param name="methods">Its methods, in the order the generated code numbers them.</param>
    protected ContractDescriptor(string name, IReadOnlyList<ContractMethod> methods)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(methods);
        Name = name;
        Methods = methods;
        Shape = ContractShape.Describe(methods);
    }

    /// <summary>Gets the contract's name on the wire.</summary>
    public string Name { get; }

    /// <summary>Gets the contract's methods.</summary>
    public IReadOnlyList<ContractMethod> Methods { get; }

    /// <summary>Gets the handshake's description of the shape: a hash of the whole, then each command's hash.</summary>
    internal string Shape { get; }

    /// <summary>Gets the handshake metadata key that carries <see cref="Shape"/>.</summary>
    internal string MetadataKey => ContractShape.MetadataPrefix + Name;
}
