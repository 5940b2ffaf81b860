using System.Diagnostics.Metrics;

namespace PluginIpc;

/// <summary>
/// The settings a <see cref="PluginOptions"/> and a <see cref="MainOptions"/> pass on to the channel they run on, read in
/// one place (<see cref="ChannelOptions.From"/>), so that a new one cannot reach one side and not the other.
/// </summary>
internal interface IChannelSettings
{
    TimeSpan CallTimeout { get; }

    int MaxConcurrentHandlers { get; }

    int MaxQueuedMessages { get; }

    long MaxQueuedBytes { get; }

    long MaxRunningRequestBytes { get; }

    IMeterFactory? MeterFactory { get; }

    IPluginSerializer? Serializer { get; }

    TimeProvider TimeProvider { get; }

    TimeSpan BusyPollTime { get; }
}
