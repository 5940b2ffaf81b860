namespace PluginIpc.Tests.TypedContracts;

/// <summary>An <see cref="IProgress{T}"/> that records its reports synchronously, in the order they come (unlike <see cref="Progress{T}"/>, which posts them).</summary>
internal sealed class RecordingProgress<T> : IProgress<T>
{
    private readonly List<T> _values = [];

    /// <summary>Gets a copy of the reports so far.</summary>
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

    /// <inheritdoc/>
    public void Report(T value)
    {
        lock (_values)
        {
            _values.Add(value);
        }
    }
}
