using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace PluginIpc;

/// <summary>What a plugin process learns from its environment about how its host started it (protocol section 6).</summary>
/// <remarks>Immutable.</remarks>
internal sealed class LaunchContract
{
    private LaunchContract(string framer, int? inFd, int? outFd, TimeSpan? busyPollTime)
    {
        Framer = framer;
        InFd = inFd;
        OutFd = outFd;
        BusyPollTime = busyPollTime;
    }

    /// <summary>Gets the name of the framing: <c>text</c> or <c>msgpack</c>.</summary>
    public string Framer { get; }

    /// <summary>Gets the inherited descriptor to read chunks from, or <see langword="null"/> for stdin.</summary>
    public int? InFd { get; }

    /// <summary>Gets the inherited descriptor to write chunks to, or <see langword="null"/> for stdout.</summary>
    public int? OutFd { get; }

    /// <summary>Gets how long the host asks the plugin's reader to busy-poll (see <see cref="MainOptions.BusyPollTime"/>), or <see langword="null"/> when it does not say.</summary>
    public TimeSpan? BusyPollTime { get; }

    /// <summary>Gets a value indicating whether the channel runs on stdin and stdout.</summary>
    [MemberNotNullWhen(false, nameof(InFd), nameof(OutFd))]
    public bool UsesStdio => InFd is null || OutFd is null;

    /// <summary>Returns the one line a plugin prints to stderr before it exits with code 1 when it was not started by its host.</summary>
    /// <param name="processName">The name of the plugin executable.</param>
    public static string NotStartedByHostMessage(string processName) =>
        $"{processName} is a plugin to be started by its host application; it cannot be run on its own.";

    /// <summary>Reads the contract from the process environment.</summary>
    /// <param name="expectedCookie">The cookie of the host application; the library's default is <c>pluginipc-v1</c>.</param>
    /// <param name="processName">The name of the plugin executable, for the error message.</param>
    /// <param name="contract">The contract, when it is valid.</param>
    /// <param name="error">One line saying what is wrong, to print to stderr before exiting with code 1.</param>
    /// <returns><see langword="false"/> if the cookie is missing or wrong, or a value is malformed.</returns>
    public static bool TryRead(
        string expectedCookie,
        string processName,
        [NotNullWhen(true)] out LaunchContract? contract,
        [NotNullWhen(false)] out string? error) =>
        TryRead(Environment.GetEnvironmentVariable, expectedCookie, processName, out contract, out error);

    /// <summary>Reads the contract from <paramref name="getVariable"/>, which returns <see langword="null"/> for absent variables.</summary>
    /// <inheritdoc cref="TryRead(string, string, out LaunchContract?, out string?)"/>
    public static bool TryRead(
        Func<string, string?> getVariable,
        string expectedCookie,
        string processName,
        [NotNullWhen(true)] out LaunchContract? contract,
        [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        ArgumentException.ThrowIfNullOrEmpty(expectedCookie);
        ArgumentException.ThrowIfNullOrEmpty(processName);
        contract = null;

        if (getVariable(LaunchVariables.Cookie) != expectedCookie)
        {
            error = NotStartedByHostMessage(processName);
            return false;
        }

        string? protocol = getVariable(LaunchVariables.Protocol);
        if (protocol is not null && protocol != LaunchVariables.ProtocolVersion)
        {
            error = $"{processName}: {LaunchVariables.Protocol} is '{protocol}', but this plugin speaks protocol version {LaunchVariables.ProtocolVersion}.";
            return false;
        }

        string framer = getVariable(LaunchVariables.Framer) ?? FramerRegistry.Default;
        if (!FramerRegistry.IsKnown(framer))
        {
            error = $"{processName}: {LaunchVariables.Framer} is '{framer}'; expected {FramerRegistry.KnownNames}.";
            return false;
        }

        string? inText = getVariable(LaunchVariables.InFd);
        string? outText = getVariable(LaunchVariables.OutFd);
        if ((inText is null) != (outText is null))
        {
            error = $"{processName}: {LaunchVariables.InFd} and {LaunchVariables.OutFd} must be set together, but only {(inText is null ? LaunchVariables.OutFd : LaunchVariables.InFd)} is.";
            return false;
        }

        int? inFd = null, outFd = null;
        if (inText is not null && outText is not null)
        {
            if (!TryParseFd(inText, out int parsedIn) || !TryParseFd(outText, out int parsedOut))
            {
                error = $"{processName}: {LaunchVariables.InFd} ('{inText}') and {LaunchVariables.OutFd} ('{outText}') must be non-negative decimal descriptor numbers.";
                return false;
            }

            if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            {
                error = $"{processName}: inherited descriptors ({LaunchVariables.InFd}, {LaunchVariables.OutFd}) are only supported on Linux and macOS.";
                return false;
            }

            (inFd, outFd) = (parsedIn, parsedOut);
        }

        TimeSpan? busyPollTime = null;
        if (getVariable(LaunchVariables.BusyPollMicroseconds) is { } busyPollText)
        {
            if (!int.TryParse(busyPollText, NumberStyles.None, CultureInfo.InvariantCulture, out int microseconds)
                || microseconds > ChannelOptions.MaxBusyPollTime.TotalMicroseconds)
            {
                error = $"{processName}: {LaunchVariables.BusyPollMicroseconds} is '{busyPollText}'; expected a decimal number of microseconds from 0 to {ChannelOptions.MaxBusyPollTime.TotalMicroseconds}.";
                return false;
            }

            busyPollTime = TimeSpan.FromMicroseconds(microseconds);
        }

        contract = new LaunchContract(framer, inFd, outFd, busyPollTime);
        error = null;
        return true;
    }

    /// <summary>Reads the contract from the process environment, or prints the error to stderr and exits the process with code 1.</summary>
    /// <param name="expectedCookie">The cookie of the host application; the library's default is <c>pluginipc-v1</c>.</param>
    /// <param name="processName">The name of the plugin executable, for the error message.</param>
    public static LaunchContract ReadOrExit(string expectedCookie, string processName)
    {
        if (TryRead(expectedCookie, processName, out LaunchContract? contract, out string? error))
        {
            return contract;
        }

        Console.Error.WriteLine(error);
        Console.Error.Flush();
        Environment.Exit(1);
        return null!; // not reached
    }

    private static bool TryParseFd(string text, out int fd)
    {
        fd = -1;
        return text.Length is > 0 and <= 10
            && text.All(char.IsAsciiDigit)
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out fd);
    }
}
