namespace HostApp;

/// <summary>The checks a demo step makes; each throws <see cref="StepFailedException"/> saying what was expected and what came back.</summary>
internal static class Expect
{
    public static void Equal(string expected, string actual, string what)
    {
        if (!string.Equals(expected, actual, StringComparison.Ordinal))
        {
            throw new StepFailedException($"{what} \"{expected}\"", $"\"{actual}\"");
        }
    }

    public static void True(bool condition, string expected, string actual)
    {
        if (!condition)
        {
            throw new StepFailedException(expected, actual);
        }
    }
}
