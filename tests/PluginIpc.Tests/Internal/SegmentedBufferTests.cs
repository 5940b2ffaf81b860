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

    [Test]
    public void Advance_PastTheSpan_Throws()
    {
        var buffer = new SegmentedBuffer();
        int length = buffer.GetSpan(10).Length;

        Assert.That(() => buffer.Advance(length + 1), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }
}
