using PluginIpc.Contracts;

namespace PluginIpc;

/// <summary>
/// Contracts on any <see cref="IChunkPeer"/> (<see cref="Channel"/>, <see cref="Plugin"/>, <see cref="Main"/>): a proxy that
/// calls the other side's implementation of a <see cref="PluginContractAttribute"/> interface, and this side's implementation
/// of one for the other side to call.
/// </summary>
public static class ContractPeerExtensions
{
    /// <summary>Returns a proxy whose methods call the other side's implementation of <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">A <see cref="PluginContractAttribute"/> interface.</typeparam>
    /// <param name="peer">The peer that implements it.</param>
    /// <returns>The proxy: thread safe, cheap, and valid for the peer's lifetime (a <see cref="Plugin"/>'s restarts included).</returns>
    /// <remarks>
    /// A call fails with <see cref="ProtocolException"/>, before anything is sent, when the other side announced another shape
    /// of the method in its handshake; it fails with <see cref="OperationCanceledException"/> when the implementation cancels,
    /// and with <see cref="RemoteException"/> when it throws.
    /// </remarks>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> has no generated contract code.</exception>
    public static T GetProxy<T>(this IChunkPeer peer)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(peer);
        ContractDescriptor<T> descriptor = ContractRegistry.Get<T>();
        return descriptor.CreateProxy(new ContractClient(peer, descriptor));
    }

    /// <summary>Handles the other side's calls of <typeparamref name="T"/>'s methods by running them on <paramref name="target"/>.</summary>
    /// <typeparam name="T">A <see cref="PluginContractAttribute"/> interface.</typeparam>
    /// <param name="peer">The peer whose calls to handle.</param>
    /// <param name="target">The implementation.</param>
    /// <remarks>
    /// Registers one handler per method under its command, replacing any earlier one. Only a plugin's
    /// <see cref="MainOptions.AddTarget{T}"/> announces the contract's shape in the handshake (the only metadata there is), so
    /// only calls to a plugin's targets are checked against another version of the contract.
    /// </remarks>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> has no generated contract code.</exception>
    public static void AddTarget<T>(this IChunkPeer peer, T target)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(target);
        ContractDescriptor<T> descriptor = ContractRegistry.Get<T>();
        descriptor.AddTarget(new ContractServer(descriptor, peer.Handle), target);
    }
}
