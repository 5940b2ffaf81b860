using System.Buffers;

namespace PluginIpc;

/// <summary>Works on a byte sequence as one span: at once when it is one segment, else over a copy on the stack or from the pool.</summary>
internal static class SequenceScratch
{
    private const int StackLimit = 256;

    /// <summary>Work to do on a span, with state passed through so the caller needs no closure.</summary>
    public delegate TResult SpanFunc<TState, TResult>(ReadOnlySpan<byte> bytes, TState state);

    /// <summary>Returns <paramref name="func"/> applied to the bytes of <paramref name="bytes"/> as one span.</summary>
    /// <remarks>The caller has bounded the length by a configured limit (at most <see cref="Array.MaxLength"/>) before calling.</remarks>
    public static TResult Apply<TState, TResult>(in ReadOnlySequence<byte> bytes, TState state, SpanFunc<TState, TResult> func)
    {
        if (bytes.IsSingleSegment)
        {
            return func(bytes.FirstSpan, state);
        }

        int length = checked((int)bytes.Length);
        byte[]? rented = null;
        Span<byte> scratch = length <= StackLimit
            ? stackalloc byte[StackLimit]
            : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            scratch = scratch[..length];
            bytes.CopyTo(scratch);
            return func(scratch, state);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
