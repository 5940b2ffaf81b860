namespace PluginIpc.GatewayBench;

/// <summary>What one kind of measurement gathered over the rounds: latency samples (µs), calls, and costs per side.</summary>
internal sealed class Phase(string name)
{
    public string Name { get; } = name;

    public List<double> Samples { get; } = [];

    public List<double> RoundValues { get; } = [];

    public long Calls { get; set; }

    public long ServerBytes { get; set; }

    public double ClientCpu { get; set; }

    public double ServerCpu { get; set; }

    public double PluginCpu { get; set; }

    public double Percentile(double p)
    {
        double[] sorted = [.. Samples.Order()];
        return sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
    }

    public string CostText() => Calls == 0 ? "" :
        $"{Name}: server {ServerBytes / (double)Calls:F0} B/call; CPU µs/call client {ClientCpu / Calls:F2}, server {ServerCpu / Calls:F2}, plugin {PluginCpu / Calls:F2}, total {(ClientCpu + ServerCpu + PluginCpu) / Calls:F2}";
}
