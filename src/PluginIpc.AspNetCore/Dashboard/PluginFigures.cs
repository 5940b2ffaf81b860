namespace PluginIpc.AspNetCore.Dashboard;

/// <summary>A plugin's call figures: totals since the dashboard began counting, and rates per second.</summary>
internal readonly record struct PluginFigures(long Calls, long Errors, double CallsPerSecond, double ErrorsPerSecond);
