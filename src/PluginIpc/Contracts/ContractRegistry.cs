using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace PluginIpc.Contracts;

/// <summary>The generated descriptors of the contracts in the process, registered by their module initializers: no reflection finds them.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ContractRegistry
{
    /// <summary>Registers the descriptor of contract <typeparamref name="T"/>. For generated code.</summary>
    /// <typeparam name="T">The contract interface.</typeparam>
    /// <param name="descriptor">Its descriptor.</param>
    public static void Register<T>(ContractDescriptor<T> descriptor)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(descriptor);

        // The generator writes a contract's descriptor into the assembly that declares the contract: no other code may replace it.
        if (descriptor.GetType().Assembly != typeof(T).Assembly)
        {
            throw new ArgumentException($"The descriptor of {typeof(T).FullName} must come from the assembly that declares it (the generated code), not {descriptor.GetType().Assembly.GetName().Name}.", nameof(descriptor));
        }

        Slot<T>.Descriptor = descriptor;
    }

    /// <summary>Returns the descriptor of <typeparamref name="T"/>.</summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> has no generated descriptor.</exception>
    internal static ContractDescriptor<T> Get<T>()
        where T : class
    {
        if (Slot<T>.Descriptor is { } descriptor)
        {
            return descriptor;
        }

        // The module initializer that registers it runs when its module is first used, which naming T does not guarantee.
        RuntimeHelpers.RunModuleConstructor(typeof(T).Module.ModuleHandle);
        return Slot<T>.Descriptor ?? throw new InvalidOperationException(
            $"{typeof(T).FullName} has no generated contract code. Mark the interface [PluginContract], and build the project that declares it with the PluginIpc package (its source generator writes the code).");
    }

    private static class Slot<T>
        where T : class
    {
        public static ContractDescriptor<T>? Descriptor;
    }
}
