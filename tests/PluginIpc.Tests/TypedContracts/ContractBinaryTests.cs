using System.Runtime.InteropServices;
using PluginIpc.Tests.Channel;

namespace PluginIpc.Tests.TypedContracts;

/// <summary>Contract arguments and results of <see cref="ReadOnlyMemory{T}"/> with the msgpack serializer: slices of the chunks they came in, not copies.</summary>
[TestFixture("msgpack")]
[TestFixture("text")]
public sealed class ContractBinaryTests(string framer)
{
    [Test, CancelAfter(10_000)]
    public async Task ReadOnlyMemory_ArgumentAndResult_AreReadInPlace(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = ChannelPair.Create(framer, Transports.Memory);
        var target = new ByteSlices();
        pair.Plugin.AddTarget<IByteSlices>(target);
        pair.Start();
        byte[] sent = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();

        ReadOnlyMemory<byte> answer = await pair.Host.GetProxy<IByteSlices>().ReverseAsync(sent, 100).WaitAsync(cancellationToken);

        Assert.That(target.Received.ToArray(), Is.EqualTo(sent));
        Assert.That(answer.ToArray(), Is.EqualTo(sent.Skip(100).Reverse().ToArray()));
        Assert.That(Offset(target.Received), Is.EqualTo(4), "after the arguments' array header and the bin 16 header, in the request's buffer");
        Assert.That(Offset(answer), Is.EqualTo(2), "after the bin 8 header, in the answer's buffer");
    }

    private static int Offset(ReadOnlyMemory<byte> bytes) =>
        MemoryMarshal.TryGetArray(bytes, out ArraySegment<byte> segment) ? segment.Offset : -1;
}
