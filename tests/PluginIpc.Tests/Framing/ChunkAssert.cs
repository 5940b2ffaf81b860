namespace PluginIpc.Tests.Framing;

/// <summary>Field-by-field comparison of chunks, with a message naming the field that differs.</summary>
public static class ChunkAssert
{
    public static void AreEqual(Chunk expected, Chunk? actual)
    {
        Assert.That(actual, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(actual!.ThreadId, Is.EqualTo(expected.ThreadId), "ThreadId");
            Assert.That(actual.Direction, Is.EqualTo(expected.Direction), "Direction");
            Assert.That(actual.Cmd, Is.EqualTo(expected.Cmd), "Cmd");
            if (!actual.Buffer.Span.SequenceEqual(expected.Buffer.Span))
            {
                // Fails, and says where the first difference is; comparing large buffers this way is slow, so only on a mismatch.
                Assert.That(actual.Buffer.ToArray(), Is.EqualTo(expected.Buffer.ToArray()), "Buffer");
            }
            Assert.That(actual.Headers ?? new Dictionary<string, string>(), Is.EquivalentTo(expected.Headers ?? new Dictionary<string, string>()), "Headers");
        });
    }
}
