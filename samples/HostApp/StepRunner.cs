namespace HostApp;

/// <summary>Runs the demo's steps one after the other, prints each with what it expects, and remembers which ones failed.</summary>
internal sealed class StepRunner
{
    private readonly List<string> _failed = [];
    private int _count;

    /// <summary>Prints a line of a step's output, indented under its title.</summary>
    public static void Say(string text) => Console.WriteLine("   " + text);

    /// <summary>Runs one step.</summary>
    /// <param name="title">What the step shows.</param>
    /// <param name="expectation">What must happen for the step to pass.</param>
    /// <param name="step">The step; it throws <see cref="StepFailedException"/> (or anything else) when it does not get what it expects.</param>
    /// <returns>Whether the step passed.</returns>
    public async Task<bool> RunAsync(string title, string expectation, Func<Task> step)
    {
        _count++;
        Console.WriteLine();
        Console.WriteLine($"{_count}. {title}");
        Say($"expect: {expectation}");
        try
        {
            await step();
            Say("ok");
            return true;
        }
        catch (StepFailedException ex)
        {
            Fail(title, ex.Message);
        }
        catch (Exception ex)
        {
            Fail(title, $"expected {expectation}, but got {ex.GetType().Name}: {ex.Message}");
        }

        return false;
    }

    /// <summary>Prints the summary and returns the process exit code: 0 only if every step passed.</summary>
    public int Summarize()
    {
        Console.WriteLine();
        if (_failed.Count == 0)
        {
            Console.WriteLine($"All {_count} steps passed.");
            return 0;
        }

        Console.WriteLine($"{_failed.Count} of {_count} steps FAILED:");
        foreach (string step in _failed)
        {
            Console.WriteLine($"  {step}");
        }

        return 1;
    }

    private void Fail(string title, string message)
    {
        _failed.Add($"{_count}. {title}");
        Say($"FAILED: {message}");
    }
}
