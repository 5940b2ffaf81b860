namespace PluginIpc;

/// <summary>When and how fast a <see cref="Plugin"/> is restarted after its process exits without being asked to.</summary>
public sealed class RestartPolicy
{
    /// <summary>Gets a policy that never restarts.</summary>
    public static RestartPolicy Never { get; } = new() { MaxRestarts = 0 };

    /// <summary>Gets a policy that restarts on every unrequested exit, with the default backoff and cap.</summary>
    public static RestartPolicy OnFailure { get; } = new();

    /// <summary>Gets how many restarts are allowed within <see cref="Window"/>; 0 never restarts.</summary>
    /// <value>Defaults to 5.</value>
    public int MaxRestarts { get; init; } = 5;

    /// <summary>Gets the sliding window over which <see cref="MaxRestarts"/> counts.</summary>
    /// <value>Defaults to 1 minute.</value>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Gets the delay before the first restart; each further restart within the window doubles it.</summary>
    /// <value>Defaults to 200 milliseconds.</value>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Gets the longest delay between restarts.</summary>
    /// <value>Defaults to 10 seconds.</value>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRestarts);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Window, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(InitialDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, InitialDelay);
    }

    /// <summary>Gets the delay before restart number <paramref name="attempt"/> (1-based) within the window.</summary>
    internal TimeSpan DelayFor(int attempt)
    {
        double factor = Math.Pow(2, Math.Min(attempt - 1, 30));
        double ticks = Math.Min(InitialDelay.Ticks * factor, MaxDelay.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }
}
