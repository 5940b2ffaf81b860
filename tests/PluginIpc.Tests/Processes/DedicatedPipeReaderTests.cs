using System.Buffers;
using System.IO.Pipelines;

namespace PluginIpc.Tests.Processes;

/// <summary>The channel's reader of a plugin pipe: one array of its own, reads done in place returned completed, cancels without a token.</summary>
[TestFixture]
public sealed class DedicatedPipeReaderTests
{
    private const string ThreadName = "test reader input";

    [Test, CancelAfter(10_000)]
    public async Task ReadAsync_PartlyConsumed_KeepsTheRest_AndExaminedAll_WaitsForMore(CancellationToken cancellationToken)
    {
        using var rig = new ReaderRig();
        (BlockingSource source, DedicatedReadStream stream, DedicatedPipeReader reader) = rig;

        source.Add("abcdef"u8.ToArray());
        ReadResult first = await ReadOffTheReadingThreadAsync(reader, cancellationToken);
        Assert.That(first.Buffer.ToArray(), Is.EqualTo("abcdef"u8.ToArray()));
        reader.AdvanceTo(first.Buffer.GetPosition(2), first.Buffer.End); // "ab" consumed, the rest examined

        Task<ReadResult> second = reader.ReadAsync(CancellationToken.None).AsTask();
        await source.ReadsStarted.WaitForAsync(2, cancellationToken);
        Assert.That(second.IsCompleted, Is.False, "a read after everything was examined waits for more");
        source.Add("gh"u8.ToArray());
        ReadResult more = await second.WaitAsync(cancellationToken);
        await Task.Yield(); // off the reading thread, where a read would be done in place
        Assert.That(more.Buffer.ToArray(), Is.EqualTo("cdefgh"u8.ToArray()));
        reader.AdvanceTo(more.Buffer.GetPosition(1), more.Buffer.GetPosition(3)); // not all examined: the next read returns at once

        Assert.That(reader.TryRead(out ReadResult again), Is.True);
        Assert.That(again.Buffer.ToArray(), Is.EqualTo("defgh"u8.ToArray()));
        reader.AdvanceTo(again.Buffer.End);
        Assert.That(reader.TryRead(out _), Is.False);
    }

    [Test, CancelAfter(10_000)]
    public async Task ReadAsync_AChunkLargerThanTheArray_GrowsIt_InOrder_ThenReadsTake16KiBAgain(CancellationToken cancellationToken)
    {
        using var rig = new ReaderRig();
        (BlockingSource source, DedicatedReadStream stream, DedicatedPipeReader reader) = rig;
        byte[] large = new byte[100_000];
        Random.Shared.NextBytes(large);
        for (int offset = 0; offset < large.Length; offset += 4_000)
        {
            source.Add(large[offset..(offset + 4_000)]); // no more than a read's least room
        }

        ReadResult result;
        while (true)
        {
            result = await ReadOffTheReadingThreadAsync(reader, cancellationToken);
            if (result.Buffer.Length == large.Length)
            {
                break;
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End); // nothing consumed: it all stays, as for a chunk not complete yet
        }

        Assert.That(result.Buffer.ToArray(), Is.EqualTo(large));
        reader.AdvanceTo(result.Buffer.End);
        source.Add("x"u8.ToArray());
        ReadResult next = await ReadOffTheReadingThreadAsync(reader, cancellationToken);

        Assert.That(next.Buffer.ToArray(), Is.EqualTo("x"u8.ToArray()));
        Assert.That(source.ReadLengths, Has.All.LessThanOrEqualTo(16 * 1024), "no read takes more than 16 KiB");
        Assert.That(source.ReadLengths.Last(), Is.EqualTo(16 * 1024), "emptied, the array is 16 KiB again");
    }

    [Test, CancelAfter(10_000)]
    public async Task ShortenNextRead_TheNextReadTakes1KiB_AndTheOneAfterIt16KiBAgain(CancellationToken cancellationToken)
    {
        using var rig = new ReaderRig();
        (BlockingSource source, DedicatedReadStream stream, DedicatedPipeReader reader) = rig;
        source.Add("a"u8.ToArray());
        source.Add("b"u8.ToArray());

        reader.ShortenNextRead();
        ReadResult first = await ReadOffTheReadingThreadAsync(reader, cancellationToken);
        byte[] firstBytes = first.Buffer.ToArray();
        reader.AdvanceTo(first.Buffer.End);
        ReadResult second = await ReadOffTheReadingThreadAsync(reader, cancellationToken);

        Assert.That(firstBytes.Concat(second.Buffer.ToArray()).ToArray(), Is.EqualTo("ab"u8.ToArray()));
        Assert.That(source.ReadLengths, Is.EqualTo(new[] { 1024, 16 * 1024 }));
    }

    [Test, CancelAfter(10_000)]
    public async Task CancelPendingRead_WithNoReadUnderWay_CancelsTheNextReadAndEveryLaterOne(CancellationToken cancellationToken)
    {
        using var rig = new ReaderRig();
        (BlockingSource source, DedicatedReadStream stream, DedicatedPipeReader reader) = rig;
        source.Add("a"u8.ToArray());
        ReadResult data = await ReadOffTheReadingThreadAsync(reader, cancellationToken);
        reader.AdvanceTo(data.Buffer.Start, data.Buffer.End); // examined, not consumed: kept for later reads

        reader.CancelPendingRead();
        ReadResult cancelled = await reader.ReadAsync(CancellationToken.None).AsTask().WaitAsync(cancellationToken);
        reader.AdvanceTo(cancelled.Buffer.Start);
        ReadResult later = await reader.ReadAsync(CancellationToken.None).AsTask().WaitAsync(cancellationToken);

        Assert.That(cancelled.IsCanceled, Is.True);
        Assert.That(cancelled.Buffer.ToArray(), Is.EqualTo("a"u8.ToArray()), "what was read stays");
        Assert.That(later.IsCanceled, Is.True, "the channel cancels only to close: a cancel that ended one read could end the next too");
        Assert.That(source.ReadsStarted.Count, Is.EqualTo(1), "no read after the cancel reached the stream");
    }

    [Test, CancelAfter(10_000)]
    public async Task CancelPendingRead_WhileAReadWaitsForItsThread_ReturnsCancelledAtOnce(CancellationToken cancellationToken)
    {
        using var rig = new ReaderRig();
        (BlockingSource source, DedicatedReadStream stream, DedicatedPipeReader reader) = rig;

        Task<ReadResult> read = reader.ReadAsync(CancellationToken.None).AsTask();
        await source.ReadsStarted.WaitForAsync(1, cancellationToken);
        reader.CancelPendingRead();

        Assert.That((await read.WaitAsync(cancellationToken)).IsCanceled, Is.True);
    }

    [Test, CancelAfter(10_000)]
    public async Task CancelPendingRead_WhileAReadInPlaceIsBlocked_AbandonsIt_WhichReturnsCancelledWhenItsCallReturns(CancellationToken cancellationToken)
    {
        using var rig = new ReaderRig();
        (BlockingSource source, DedicatedReadStream stream, DedicatedPipeReader reader) = rig;

        // As a read loop does: the next read asked for by the continuation the reading thread runs is done in place.
        Task<ReadResult> inPlace = ReadTwiceAsync(reader);
        await source.ReadsStarted.WaitForAsync(1, cancellationToken);
        source.Add("1"u8.ToArray()); // after the first read waits: its continuation then runs on the reading thread
        await source.ReadsStarted.WaitForAsync(2, cancellationToken);
        Assert.That(stream.HasAbandonedRead, Is.False);

        reader.CancelPendingRead();
        Assert.That(stream.HasAbandonedRead, Is.True, "a read blocked in place and cancelled");
        source.Add("zz"u8.ToArray());

        ReadResult second = await inPlace.WaitAsync(cancellationToken);
        Assert.That(second.IsCanceled, Is.True);
        Assert.That(second.Buffer.IsEmpty, Is.True, "what the abandoned read took is dropped");
        Assert.That(source.ReadingThreads, Has.Count.EqualTo(1), "the second read was done in place");
        Assert.That(stream.HasAbandonedRead, Is.False, "the abandoned read has returned");

        static async Task<ReadResult> ReadTwiceAsync(PipeReader reader)
        {
            // Without the test's context, as the read loop awaits: the continuation runs on the reading thread.
            ReadResult first = await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false);
            reader.AdvanceTo(first.Buffer.End);
            return await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    [Test, CancelAfter(10_000)]
    public async Task ReadAsync_TokenCancelled_Throws_AndEndOfInput_IsCompletedWithWhatIsLeft(CancellationToken cancellationToken)
    {
        using var rig = new ReaderRig();
        (BlockingSource source, DedicatedReadStream stream, DedicatedPipeReader reader) = rig;
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        Task<ReadResult> read = reader.ReadAsync(cancel.Token).AsTask();
        await source.ReadsStarted.WaitForAsync(1, cancellationToken);
        await cancel.CancelAsync();
        Assert.That(async () => await read.WaitAsync(cancellationToken), Throws.InstanceOf<OperationCanceledException>());

        source.Add("ab"u8.ToArray()); // the thread still blocked takes these: they are lost, as the stream says
        await source.ReadsReturned.WaitForAsync(1, cancellationToken);
        source.Add("cd"u8.ToArray());
        ReadResult data = await ReadOffTheReadingThreadAsync(reader, cancellationToken);
        reader.AdvanceTo(data.Buffer.GetPosition(1), data.Buffer.End);
        source.Add([]);
        ReadResult end = await ReadOffTheReadingThreadAsync(reader, cancellationToken);

        Assert.That(data.Buffer.ToArray(), Is.EqualTo("cd"u8.ToArray()));
        Assert.That(end.IsCompleted, Is.True);
        Assert.That(end.Buffer.ToArray(), Is.EqualTo("d"u8.ToArray()));
    }

    [Test]
    public void AdvanceTo_APositionOfAnotherBuffer_Throws()
    {
        using var rig = new ReaderRig();
        (BlockingSource source, DedicatedReadStream stream, DedicatedPipeReader reader) = rig;
        var other = new ReadOnlySequence<byte>(new byte[4]);

        Assert.That(() => reader.AdvanceTo(other.Start), Throws.InvalidOperationException);
    }

    /// <summary>A reader over a stream over a source the test hands bytes to; disposed together.</summary>
    private sealed class ReaderRig : IDisposable
    {
        private readonly BlockingSource _source = new();
        private readonly DedicatedReadStream _stream;

        public ReaderRig() => _stream = new DedicatedReadStream(_source, ThreadName);

        public void Deconstruct(out BlockingSource source, out DedicatedReadStream stream, out DedicatedPipeReader reader) =>
            (source, stream, reader) = (_source, _stream, new DedicatedPipeReader(_stream));

        public void Dispose()
        {
            _stream.Dispose();
            _source.Dispose();
        }
    }

    /// <summary>Reads, and goes on off the reading thread: the read's continuation may run there, where a next read would be done in place and block the test.</summary>
    private static async Task<ReadResult> ReadOffTheReadingThreadAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        ReadResult result = await reader.ReadAsync(CancellationToken.None).AsTask().WaitAsync(cancellationToken);
        await Task.Yield();
        return result;
    }
}
