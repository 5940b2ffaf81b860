namespace PluginIpc;

/// <summary>The plugin process exited, so the call could not be answered.</summary>
public class PluginExitedException : ChannelClosedException
{
    /// <summary>Initializes a new instance with a default message.</summary>
    public PluginExitedException()
        : base("The plugin process exited.")
    {
    }

    /// <summary>Initializes a new instance with <paramref name="message"/>.</summary>
    /// <param name="message">What happened.</param>
    public PluginExitedException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with <paramref name="message"/> and the cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public PluginExitedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance for the plugin <paramref name="pluginName"/> that exited with <paramref name="exitCode"/>.</summary>
    /// <param name="pluginName">The plugin's name.</param>
    /// <param name="exitCode">The process's exit code.</param>
    /// <param name="stderrTail">The last lines the plugin wrote to stderr.</param>
    /// <param name="innerException">How the connection ended.</param>
    public PluginExitedException(string pluginName, int exitCode, string stderrTail, Exception? innerException)
        : base(FormatMessage(pluginName, exitCode, stderrTail), innerException)
    {
        PluginName = pluginName;
        ExitCode = exitCode;
        StderrTail = stderrTail;
    }

    /// <summary>
    /// Initializes a new instance for a plugin that failed for <paramref name="cause"/> (a protocol error, unanswered pings)
    /// and then exited: the message names the cause first, then the exit.
    /// </summary>
    internal PluginExitedException(string pluginName, int exitCode, string stderrTail, Exception cause, bool causeFirst)
        : base(causeFirst ? FormatMessage($"{cause.Message} Plugin '{pluginName}' then exited with code {exitCode}.", stderrTail) : FormatMessage(pluginName, exitCode, stderrTail), cause)
    {
        PluginName = pluginName;
        ExitCode = exitCode;
        StderrTail = stderrTail;
    }

    /// <summary>Gets the plugin's name.</summary>
    public string PluginName { get; } = string.Empty;

    /// <summary>Gets the exit code, or <see langword="null"/> when it is not known.</summary>
    public int? ExitCode { get; }

    /// <summary>Gets the last lines the plugin wrote to stderr.</summary>
    public string StderrTail { get; } = string.Empty;

    private static string FormatMessage(string pluginName, int exitCode, string stderrTail) =>
        FormatMessage($"Plugin '{pluginName}' exited with code {exitCode}.", stderrTail);

    private static string FormatMessage(string what, string stderrTail) =>
        stderrTail.Length == 0 ? what : $"{what} Last stderr lines:{Environment.NewLine}{stderrTail}";
}
