namespace PluginIpc.Tests.Generators;

/// <summary>An <see cref="IProgress{T}"/> that keeps each report as it comes, on the reporting thread (unlike <see cref="Progress{T}"/>, which posts them).</summary>
/// <typeparam name="T">The reports' type.</typeparam>
public sealed class RecordingProgress<T> : IProgress<T>
{
    private readonly List<T> _values = [];

    /// <summary>Gets the reports so far.</summary>
    public IReadOnlyList<T> Values
    {
        get
        {
            lock (_values)
            {
                return [.. _values];
            }
        }
    }

    public void Report(T value)
    {
        lock (_values)
        {
            _values.Add(value);
        }
    }
}
