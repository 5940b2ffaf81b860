namespace PluginIpc.Benchmarks;

/// <summary>Marks an echo benchmark with the payload it sends (and gets back) per operation, for <see cref="ThroughputColumn"/>.</summary>
/// <param name="bytes">The payload's size in bytes, one way.</param>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PayloadBytesAttribute(int bytes) : Attribute
{
    /// <summary>Gets the payload's size in bytes, one way.</summary>
    public int Bytes { get; } = bytes;
}
