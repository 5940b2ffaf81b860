namespace PluginIpc.Contracts;

/// <summary>The caller's <see cref="IProgress{T}"/> of one call.</summary>
internal sealed class ProgressSink<T>(IProgress<T> progress, string cmd) : ProgressSink
{
    /// <inheritdoc/>
    public override void Report(IPluginSerializer serializer, ReadOnlyMemory<byte> value)
    {
        T report;
        try
        {
            report = serializer.Deserialize<T>(value);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new FormatException($"A progress report of '{cmd}' ({value.Length} bytes) is not a {typeof(T).Name} in the {serializer.Name} format: {ex.Message}", ex);
        }

        progress.Report(report);
    }
}
