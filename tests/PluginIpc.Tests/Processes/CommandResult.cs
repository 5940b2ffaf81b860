namespace PluginIpc.Tests.Processes;

/// <summary>How a command ended: its exit code and what it wrote to stdout and stderr.</summary>
/// <param name="Command">The command line, for messages.</param>
/// <param name="ExitCode">The exit code.</param>
/// <param name="Output">Stdout, then stderr.</param>
internal sealed record CommandResult(string Command, int ExitCode, string Output)
{
    /// <summary>Returns a description for an assertion message.</summary>
    public override string ToString() => $"'{Command}' exited with {ExitCode}:\n{Output}";
}
