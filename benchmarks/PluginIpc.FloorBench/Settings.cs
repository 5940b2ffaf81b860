namespace PluginIpc.FloorBench;

/// <summary>How long and how often each phase runs; the C floor gets the same numbers.</summary>
internal sealed record Settings(
    double WarmUpSeconds,
    int SequentialSamples,
    int CallsPerSample,
    int InFlightSamples,
    int BatchesPerSample,
    int Echo64KiBSamples,
    int Echo64KiBPerSample,
    int Echo1MiBSamples,
    int Echo1MiBPerSample,
    double IdleSeconds,
    bool SequentialOnly,
    bool GrowPipes,
    bool SmallWarmUp,
    int EchoOnlyBytes = 0,
    bool InFlightOnly = false,
    double EchoWarmUpSeconds = 1)
{
    /// <summary>Gets the arguments of the C floor, in the order floor.c reads them.</summary>
    public IEnumerable<string> CArguments() =>
        [
            WarmUpSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            .. new[] { SequentialSamples, CallsPerSample, InFlightSamples, BatchesPerSample, Echo64KiBSamples, Echo64KiBPerSample, Echo1MiBSamples, Echo1MiBPerSample }
                .Select(value => value.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            IdleSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            GrowPipes ? PipeSize.Bytes.ToString(System.Globalization.CultureInfo.InvariantCulture) : "0",
            EchoWarmUpSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ];
}
