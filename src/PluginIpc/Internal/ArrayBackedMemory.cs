using System.Buffers;
using System.Runtime.InteropServices;

namespace PluginIpc;

/// <summary>What a <see cref="MemoryManager{T}"/> over a managed array needs besides its span: pinning with a GC handle, and nothing to dispose.</summary>
internal abstract class ArrayBackedMemory : MemoryManager<byte>
{
    /// <summary>Gets the array that holds the memory now.</summary>
    protected abstract byte[] PinnedArray { get; }

    /// <inheritdoc/>
    public override unsafe MemoryHandle Pin(int elementIndex = 0)
    {
        GCHandle handle = GCHandle.Alloc(PinnedArray, GCHandleType.Pinned);
        return new MemoryHandle((byte*)handle.AddrOfPinnedObject() + elementIndex, handle, this);
    }

    /// <inheritdoc/>
    public override void Unpin()
    {
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
    }
}
