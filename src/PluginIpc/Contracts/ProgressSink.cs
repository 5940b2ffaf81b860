namespace PluginIpc.Contracts;

/// <summary>The caller's progress object of one call, which the other side's reports reach.</summary>
internal abstract class ProgressSink
{
    /// <summary>Reads a report and hands it to the caller's progress object.</summary>
    public abstract void Report(IPluginSerializer serializer, ReadOnlyMemory<byte> value);
}
