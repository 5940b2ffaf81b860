namespace WebGateway;

/// <summary>A step of the self-test did not get what it expected.</summary>
internal sealed class SelfTestFailedException(string message) : Exception(message);
