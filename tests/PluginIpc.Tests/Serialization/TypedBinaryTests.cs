using System.Runtime.InteropServices;
using PluginIpc.Tests.Channel;

namespace PluginIpc.Tests.Serialization;

/// <summary>Bytes as typed values with the msgpack serializer: a <see cref="ReadOnlyMemory{T}"/> is read in place from the chunk it came in, a <see langword="byte"/>[] is copied.</summary>
[TestFixture("msgpack")]
[TestFixture("text")]
public sealed class TypedBinaryTests(string framer)
{
    [Test, CancelAfter(10_000)]
    public async Task CallAsync_ReadOnlyMemory_ArrivesAsASliceOfTheChunk_BothWays(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = ChannelPair.Create(framer, Transports.Memory);
        var received = new TaskCompletionSource<ReadOnlyMemory<byte>>(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Plugin.Handle<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>>("reverse", (bytes, _) =>
        {
            received.TrySetResult(bytes);
            byte[] reversed = bytes.ToArray();
            Array.Reverse(reversed);
            return ValueTask.FromResult<ReadOnlyMemory<byte>>(reversed);
        });
        pair.Start();
        byte[] sent = Enumerable.Range(1, 300).Select(i => (byte)i).ToArray();

        ReadOnlyMemory<byte> answer = await pair.Host.CallAsync<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>>("reverse", sent.AsMemory(), cancellationToken);
        ReadOnlyMemory<byte> request = await received.Task.WaitAsync(cancellationToken);

        Assert.That(request.ToArray(), Is.EqualTo(sent));
        Assert.That(answer.ToArray(), Is.EqualTo(sent.Reverse().ToArray()));
        Assert.That(Offset(request), Is.EqualTo(3), "the bytes after their bin 16 header in the request's buffer, not a copy");
        Assert.That(Offset(answer), Is.EqualTo(3), "the bytes after their bin 16 header in the answer's buffer, not a copy");
    }

    [Test, CancelAfter(10_000)]
    public async Task CallAsync_EmptyAndNilBytes_AreEmpty(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = ChannelPair.Create(framer, Transports.Memory);
        pair.Plugin.Handle<byte[]?, ReadOnlyMemory<byte>>("same", (bytes, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(bytes));
        pair.Start();

        ReadOnlyMemory<byte> fromNil = await pair.Host.CallAsync<byte[]?, ReadOnlyMemory<byte>>("same", null, cancellationToken);
        ReadOnlyMemory<byte> fromEmpty = await pair.Host.CallAsync<byte[]?, ReadOnlyMemory<byte>>("same", [], cancellationToken);

        Assert.That((fromNil.Length, fromEmpty.Length), Is.EqualTo((0, 0)));
    }

    [Test, CancelAfter(10_000)]
    public async Task CallAsync_ByteArray_IsACopy(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = ChannelPair.Create(framer, Transports.Memory);
        pair.Plugin.Handle<byte[], byte[]>("same", (bytes, _) => ValueTask.FromResult(bytes));
        pair.Start();
        byte[] sent = [1, 2, 3];

        byte[] answer = await pair.Host.CallAsync<byte[], byte[]>("same", sent, cancellationToken);

        Assert.That(answer, Is.EqualTo(sent).And.Not.SameAs(sent));
    }

    private static int Offset(ReadOnlyMemory<byte> bytes) =>
        MemoryMarshal.TryGetArray(bytes, out ArraySegment<byte> segment) ? segment.Offset : -1;
}
