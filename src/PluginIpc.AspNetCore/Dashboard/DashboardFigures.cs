using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace PluginIpc.AspNetCore.Dashboard;

/// <summary>
/// Calls and errors per plugin, counted from PluginIpc's own meters (<c>rpc.client.call.duration</c> and
/// <c>rpc.server.call.duration</c>, by <c>rpc.service</c>), and their rates over the last second or so.
/// </summary>
/// <remarks>Thread safe. Counts only the manager's plugin names, so no peer can grow it.</remarks>
internal sealed class DashboardFigures : IDisposable
{
    private const string MeterName = "PluginIpc";
    private const string ServiceTag = "rpc.service";
    private const string ErrorTag = "error.type";

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, Counts> _counts = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    /// <param name="manager">The plugins counted, by name.</param>
    /// <param name="meterFactory">The application's meter factory, whose PluginIpc meter the manager's plugins use; <see langword="null"/> for the library's static meter.</param>
    /// <param name="time">The clock of the rates.</param>
    public DashboardFigures(IPluginManager manager, IMeterFactory? meterFactory, TimeProvider time)
    {
        _time = time;
        foreach (string name in manager.Names)
        {
            _counts[name] = new Counts(time.GetTimestamp());
        }

        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // Only the meter this application's plugins record on: other containers in the process have plugins too.
            if (instrument.Meter.Name == MeterName && instrument.Meter.Scope == meterFactory
                && instrument.Name is "rpc.client.call.duration" or "rpc.server.call.duration")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>(OnMeasurement);
        _listener.Start();
    }

    /// <summary>Returns the plugin's totals and its rates per second since the previous sample at least a second old.</summary>
    public PluginFigures Of(string plugin)
    {
        if (!_counts.TryGetValue(plugin, out Counts? counts))
        {
            return default;
        }

        return counts.Sample(_time);
    }

    public void Dispose() => _listener.Dispose();

    private void OnMeasurement(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        string? service = null;
        bool failed = false;
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            if (tag.Key == ServiceTag)
            {
                service = tag.Value as string;
            }
            else if (tag.Key == ErrorTag)
            {
                failed = true;
            }
        }

        if (service is not null && _counts.TryGetValue(service, out Counts? counts))
        {
            counts.Add(failed);
        }
    }

    /// <summary>One plugin's counters and its last sample.</summary>
    private sealed class Counts(long start)
    {
        private readonly Lock _lock = new();
        private long _calls;
        private long _errors;
        private long _sampledAt = start;
        private long _sampledCalls;
        private long _sampledErrors;
        private double _callRate;
        private double _errorRate;

        public void Add(bool failed)
        {
            Interlocked.Increment(ref _calls);
            if (failed)
            {
                Interlocked.Increment(ref _errors);
            }
        }

        public PluginFigures Sample(TimeProvider time)
        {
            long calls = Interlocked.Read(ref _calls);
            long errors = Interlocked.Read(ref _errors);
            long now = time.GetTimestamp();
            lock (_lock)
            {
                double seconds = time.GetElapsedTime(_sampledAt, now).TotalSeconds;
                if (seconds >= 1)
                {
                    _callRate = (calls - _sampledCalls) / seconds;
                    _errorRate = (errors - _sampledErrors) / seconds;
                    _sampledAt = now;
                    _sampledCalls = calls;
                    _sampledErrors = errors;
                }

                return new PluginFigures(calls, errors, _callRate, _errorRate);
            }
        }
    }
}
