namespace PluginIpc;

/// <summary>
/// Marks an interface as a contract between host and plugin: PluginIpc's source generator writes its proxy
/// (<see cref="ContractPeerExtensions.GetProxy{T}"/>) and its dispatcher (<see cref="ContractPeerExtensions.AddTarget{T}"/>).
/// Declare it in an assembly that both sides reference.
/// </summary>
/// <remarks>
/// Methods return <see cref="Task"/>, <see cref="Task{TResult}"/>, <see cref="ValueTask"/>, <see cref="ValueTask{TResult}"/> or
/// <see cref="IAsyncEnumerable{T}"/>; they may take one <see cref="IProgress{T}"/> and a last <see cref="CancellationToken"/>.
/// Each method's command is <c>{contract name}.{method name without "Async"}</c> unless <see cref="PluginMethodAttribute"/> says otherwise.
/// </remarks>
[AttributeUsage(AttributeTargets.Interface, Inherited = false)]
public sealed class PluginContractAttribute : Attribute
{
    /// <summary>Initializes the attribute; the contract's name is the interface's name.</summary>
    public PluginContractAttribute()
    {
    }

    /// <summary>Initializes the attribute with the contract's name on the wire.</summary>
    /// <param name="name">The name that prefixes the commands and identifies the contract in the handshake.</param>
    public PluginContractAttribute(string name) => Name = name;

    /// <summary>Gets the contract's name on the wire, or <see langword="null"/> for the interface's name.</summary>
    public string? Name { get; }
}
