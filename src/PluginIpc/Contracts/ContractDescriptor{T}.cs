using System.ComponentModel;

namespace PluginIpc.Contracts;

/// <summary>What the source generator writes for a <see cref="PluginContractAttribute"/> interface: its proxy and its dispatcher.</summary>
/// <typeparam name="T">The contract interface.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class ContractDescriptor<T> : ContractDescriptor
    where T : class
{
    /// <summary>Initializes the description. For generated code.</summary>
    /// <param name="name">The contract's name on the wire.</param>
    /// <param name="methods">Its methods, in the order the generated code numbers them.</param>
    protected ContractDescriptor(string name, IReadOnlyList<ContractMethod> methods)
        : base(name, methods)
    {
    }

    /// <summary>Creates a proxy whose methods call the other side through <paramref name="client"/>.</summary>
    /// <param name="client">The calls of one peer.</param>
    /// <returns>The proxy.</returns>
    public abstract T CreateProxy(ContractClient client);

    /// <summary>Registers, on <paramref name="server"/>, a handler per method that runs it on <paramref name="target"/>.</summary>
    /// <param name="server">Where the handlers go.</param>
    /// <param name="target">The implementation.</param>
    public abstract void AddTarget(ContractServer server, T target);
}
