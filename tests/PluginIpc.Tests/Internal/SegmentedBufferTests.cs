using System.Buffers;

namespace PluginIpc.Tests.Internal;

public sealed class SegmentedBufferTests
{
    [TestCase(0)]
    [TestCase(1)]
    [TestCase(16 * 1024)]
    [TestCase(3 * 1024 * 1024 + 7)]
    public void CopyTo_WritesInRandomPieces_ReproducesEveryByteInOrder(int total)
    {
        var random = new Random(total);
        byte[] expected = new byte[total];
        random.NextBytes(expected);
        var buffer = new SegmentedBuffer();

        for (int round = 0; round < 2; round++)
        {
            int written = 0;
            while (written < total)
            {
                int piece = Math.Min(total - written, random.Next(1, 40_000));
                Span<byte> span = buffer.GetSpan(random.Next(0, 2) == 0 ? 0 : piece);
                int count = Math.Min(piece, span.Length);
                expected.AsSpan(written, count).CopyTo(span);
                buffer.Advance(count);
                written += count;
            }

            var output = new ArrayBufferWriter<byte>();
            buffer.CopyTo(output);

            Assert.That(buffer.WrittenCount, Is.EqualTo(total));
            Assert.That(output.WrittenSpan.SequenceEqual(expected), Is.True, $"round {round}");
            buffer.Reset();
            Assert.That(buffer.WrittenCount, Is.Zero);
        }
    }

    [TestCase(0, 64 * 1024, 1)]
    [TestCase(100, 64 * 1024, 1)]
    [TestCase(16 * 1024, 64 * 1024, 1)]
    [TestCase((16 * 1024) + 1, 64 * 1024, 2)]
    [TestCase(100, 100, 1)]
    public void ReserveContiguous_KeepsTheReservedBytesInOneSegment_AndFewWrittenBytesWithThem(int before, int reserved, int expectedSegments)
    {
        var buffer = new SegmentedBuffer();
        byte[] expected = new byte[before + reserved];
        new Random(before + reserved).NextBytes(expected);
        WriteInPieces(buffer, expected.AsSpan(0, before));

        buffer.ReserveContiguous(reserved);
        WriteInPieces(buffer, expected.AsSpan(before));

        Assert.That(buffer.SegmentCount, Is.EqualTo(expectedSegments));
        Assert.That(buffer.GetSegment(buffer.SegmentCount - 1).Length, Is.GreaterThanOrEqualTo(reserved), "the reserved bytes lie in one segment");
        var output = new ArrayBufferWriter<byte>();
        buffer.CopyTo(output);
        Assert.That(output.WrittenSpan.SequenceEqual(expected), Is.True);
    }

    [TestCase(0, 0)]
    [TestCase(100, 0)]
    [TestCase(100, 50)]
    [TestCase(16 * 1024, 16 * 1024)]
    [TestCase(16 * 1024, 40_000)]
    [TestCase(3 * 1024 * 1024, 1)]
    [TestCase(3 * 1024 * 1024, 2 * 1024 * 1024 + 3)]
    public void Truncate_ForgetsWhatCameAfter_AndWritingGoesOnFromThere(int kept, int dropped)
    {
        var buffer = new SegmentedBuffer();
        byte[] bytes = new byte[kept + dropped + 50_000];
        new Random(kept + dropped).NextBytes(bytes);
        WriteInPieces(buffer, bytes.AsSpan(0, kept + dropped));

        buffer.Truncate(kept);
        Assert.That(buffer.WrittenCount, Is.EqualTo(kept));
        WriteInPieces(buffer, bytes.AsSpan(kept + dropped));

        var output = new ArrayBufferWriter<byte>();
        buffer.CopyTo(output);
        byte[] expected = [.. bytes.AsSpan(0, kept), .. bytes.AsSpan(kept + dropped)];
        Assert.That(output.WrittenSpan.SequenceEqual(expected), Is.True);
        Assert.That(() => buffer.Truncate(buffer.WrittenCount + 1), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Advance_PastTheSpan_Throws()
    {
        var buffer = new SegmentedBuffer();
        int length = buffer.GetSpan(10).Length;

        Assert.That(() => buffer.Advance(length + 1), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    /// <summary>Writes <paramref name="bytes"/> the way a framer does: asks for any span and fills what it gets.</summary>
    private static void WriteInPieces(SegmentedBuffer buffer, ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            Span<byte> span = buffer.GetSpan();
            int count = Math.Min(span.Length, Math.Min(bytes.Length, 1000));
            bytes[..count].CopyTo(span);
            buffer.Advance(count);
            bytes = bytes[count..];
        }
    }
}
