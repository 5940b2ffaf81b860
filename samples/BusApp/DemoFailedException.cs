namespace BusApp;

/// <summary>A step of the demo did not see what it should have.</summary>
internal sealed class DemoFailedException(string message) : Exception(message);
