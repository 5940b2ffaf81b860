namespace PluginIpc.Tests.Generators;

/// <summary>A user type passed and returned by <see cref="ITestGreeter"/>.</summary>
public sealed record GreeterPoint(int X, int Y);
