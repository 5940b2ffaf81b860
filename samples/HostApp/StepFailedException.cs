namespace HostApp;

/// <summary>A demo step got something other than what it expected.</summary>
internal sealed class StepFailedException : Exception
{
    public StepFailedException()
    {
    }

    public StepFailedException(string message)
        : base(message)
    {
    }

    public StepFailedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance that says what was expected and what came back.</summary>
    public StepFailedException(string expected, string actual)
        : base($"expected {expected}, but got {actual}")
    {
        Expected = expected;
        Actual = actual;
    }

    /// <summary>Gets what the step expected.</summary>
    public string? Expected { get; }

    /// <summary>Gets what came back.</summary>
    public string? Actual { get; }
}
