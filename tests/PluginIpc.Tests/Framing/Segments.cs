using System.Buffers;

namespace PluginIpc.Tests.Framing;

/// <summary>Builds multi-segment <see cref="ReadOnlySequence{T}"/> values, to feed framers bytes split at chosen points.</summary>
public static class Segments
{
    /// <summary>Splits <paramref name="bytes"/> into a sequence with a segment boundary before every index in <paramref name="cuts"/>.</summary>
    public static ReadOnlySequence<byte> Split(ReadOnlyMemory<byte> bytes, IEnumerable<int> cuts)
    {
        var points = cuts.Where(c => c > 0 && c < bytes.Length).Distinct().Order().ToList();
        if (points.Count == 0)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        Segment first = new(bytes[..points[0]], 0);
        Segment last = first;
        for (int i = 0; i < points.Count; i++)
        {
            int end = i + 1 < points.Count ? points[i + 1] : bytes.Length;
            last = last.Append(bytes[points[i]..end]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>One segment per byte.</summary>
    public static ReadOnlySequence<byte> OneBytePerSegment(ReadOnlyMemory<byte> bytes) =>
        Split(bytes, Enumerable.Range(1, Math.Max(0, bytes.Length - 1)));

    /// <summary>Concatenates a sequence into one array.</summary>
    public static byte[] ToArray(IEnumerable<ReadOnlyMemory<byte>> parts) => parts.SelectMany(p => p.ToArray()).ToArray();

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
