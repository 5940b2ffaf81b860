namespace PluginIpc;

/// <summary>When and how fast a <see cref="Plugin"/> is restarted after its process exits without being asked to.</summary>
/// <remarks>A plugin copies its policy when it is created; later changes to the policy do not affect it.</remarks>
public sealed class RestartPolicy
{
    /// <summary>Gets a new policy that never restarts (<see cref="MaxRestarts"/> is 0).</summary>
    /// <value>A new instance on each access, so that changing one (reflection can set init-only properties) changes no other.</value>
    public static RestartPolicy Never => new() { MaxRestarts = 0 };

    /// <summary>Gets a new policy that restarts on every unrequested exit, with the default backoff and cap.</summary>
    /// <value>A new instance on each access, so that changing one (reflection can set init-only properties) changes no other.</value>
    public static RestartPolicy OnFailure => new();

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

    /// <summary>Returns a copy that shares nothing with this policy.</summary>
    internal RestartPolicy Clone() => new()
    {
        MaxRestarts = MaxRestarts,
        Window = Window,
        InitialDelay = InitialDelay,
        MaxDelay = MaxDelay,
    };

    // Timers take at most uint.MaxValue - 1 milliseconds (about 49.7 days).
    private static readonly TimeSpan s_maxTimerDelay = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    /// <summary>Returns what is wrong with this policy, naming the property, or <see langword="null"/> when it is valid.</summary>
    internal string? GetProblem() =>
        MaxRestarts < 0 ? $"MaxRestarts must be 0 or more, not {MaxRestarts}." :
        Window <= TimeSpan.Zero ? $"Window must be positive, not {Window}." :
        InitialDelay < TimeSpan.Zero ? $"InitialDelay must be 0 or more, not {InitialDelay}." :
        MaxDelay < InitialDelay ? $"MaxDelay must be at least InitialDelay ({InitialDelay}), not {MaxDelay}." :
        MaxDelay > s_maxTimerDelay ? $"MaxDelay must be at most {s_maxTimerDelay} (the longest a timer waits), not {MaxDelay}." :
        null;

    /// <summary>Gets the delay before restart number <paramref name="attempt"/> (1-based) within the window.</summary>
    internal TimeSpan DelayFor(int attempt)
    {
        double factor = Math.Pow(2, Math.Min(attempt - 1, 30));
        double ticks = Math.Min(InitialDelay.Ticks * factor, MaxDelay.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }
}
