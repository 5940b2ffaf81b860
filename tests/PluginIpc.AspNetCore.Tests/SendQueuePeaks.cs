using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using PluginIpc.AspNetCore.Diagnostics;

namespace PluginIpc.AspNetCore.Tests;

/// <summary>
/// Collects one app's <c>pluginipc.gateway.send_queue.peak_bytes</c>: the most each WebSocket's send queue held while it ran,
/// which is what a stalled client costs the server (memory measured after the close cannot tell a bounded queue from an unbounded one).
/// </summary>
internal sealed class SendQueuePeaks : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _max;

    public SendQueuePeaks(GatewayApp app)
    {
        Histogram<long> instrument = app.Services.GetRequiredService<GatewayMetrics>().SendQueuePeakBytes;
        _listener.InstrumentPublished = (published, listener) =>
        {
            if (ReferenceEquals(published, instrument))
            {
                listener.EnableMeasurementEvents(published);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
        {
            long max = Interlocked.Read(ref _max);
            while (value > max && Interlocked.CompareExchange(ref _max, value, max) != max)
            {
                max = Interlocked.Read(ref _max);
            }
        });
        _listener.Start();
    }

    /// <summary>Gets the largest peak recorded by a connection that has ended.</summary>
    public long Max => Interlocked.Read(ref _max);

    public void Dispose() => _listener.Dispose();
}
