namespace PluginIpc.Tests.Bus;

[TestFixture]
public sealed class GapTrackerTests
{
    private static BusEnvelope Message(long sequence, string topic = "t", string origin = "") => new(topic, origin, sequence, null, ReadOnlyMemory<byte>.Empty);

    [Test]
    public void TheFirstMessageOfATopicCountsNoGap_TheNextOnesCountWhatCameBetween()
    {
        var gaps = new GapTracker();
        long[] missed = [.. new long[] { 7, 8, 11 }.Select(s => Offer(gaps, s)).ToList().Select(e => gaps.Missed(e))];

        Assert.That(missed, Is.EqualTo(new long[] { 0, 0, 2 }));
    }

    [Test]
    public void AQueueThatDropsTheFirstMessages_StillShowsTheGap_WhateverOrderItReportsTheDropIn()
    {
        // A full bounded channel removes the oldest under its lock but reports it after releasing the lock, by when the pump
        // may have read the next message: the gap must come from the messages offered, not from the drop reports.
        var gaps = new GapTracker();
        BusEnvelope[] offered = [.. Enumerable.Range(1, 5).Select(s => Offer(gaps, s))];

        Assert.That(gaps.Missed(offered[1]), Is.EqualTo(1), "message 1 was dropped before 2 was read");
        Assert.That(gaps.Missed(offered[4]), Is.EqualTo(2));
    }

    [Test]
    public void TopicsAndOriginsCountApart_AndANumberThatStartsOverCountsNoGap()
    {
        var gaps = new GapTracker();
        BusEnvelope a1 = Offer(gaps, 1, "a"), b5 = Offer(gaps, 5, "b"), a1Elsewhere = Offer(gaps, 1, "a", "host2"), a3 = Offer(gaps, 3, "a"), b6 = Offer(gaps, 6, "b");

        Assert.That(new[] { a1, b5, a1Elsewhere, a3, b6 }.Select(gaps.Missed), Is.EqualTo(new long[] { 0, 0, 0, 1, 0 }));
        Assert.That(gaps.Missed(Offer(gaps, 1, "a")), Is.Zero, "its origin restarted");
        Assert.That(gaps.Missed(Offer(gaps, 0, "a")), Is.Zero, "requests carry no number");
    }

    private static BusEnvelope Offer(GapTracker gaps, long sequence, string topic = "t", string origin = "")
    {
        BusEnvelope envelope = Message(sequence, topic, origin);
        gaps.Offered(envelope);
        return envelope;
    }
}
