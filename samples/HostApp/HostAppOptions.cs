using System.Diagnostics.CodeAnalysis;
using PluginIpc;

namespace HostApp;

/// <summary>HostApp's command line: options first, then (optionally) the command line of the plugin to run.</summary>
internal sealed class HostAppOptions
{
    public const string Usage = """
        Usage: HostApp [options] [--] [<plugin executable> [<plugin arguments>...]]

        Starts a plugin process and walks through what PluginIpc does, checking every step.
        Exits with code 0 only if every step worked.

        Without a plugin command line, HostApp runs the EchoPlugin sample (built next to it) and shows everything:
        metadata, calls both ways, 100 concurrent calls, an error, a cancel, a one-way message, logs and stop.

        With a plugin command line, HostApp runs any plugin that implements GetMetadata and echo: it calls only those,
        answers the plugin's Repeat requests with "Response: " + the request's buffer, prints its metadata and logs,
        and stops it.

        Options (before the plugin command line):
          --framer text|msgpack      the wire framing (default: text)
          --transport pipes|stdio    inherited pipes or the plugin's stdin/stdout (default: pipes)
          -h, --help                 show this help
          --                         ends the options; everything after it is the plugin command line

        Examples:
          dotnet run --project samples/HostApp
          dotnet run --project samples/HostApp -- --framer msgpack --transport stdio
          dotnet run --project samples/HostApp -- --framer msgpack -- python3 myplugin.py
          dotnet run --project samples/HostApp -- dotnet exec path/to/EchoPlugin.dll
        """;

    /// <summary>Gets the framing: <c>text</c> or <c>msgpack</c>.</summary>
    public string Framer { get; private init; } = "text";

    /// <summary>Gets the transport that carries the chunks.</summary>
    public PluginTransport Transport { get; private init; } = PluginTransport.InheritedPipes;

    /// <summary>Gets the plugin's command line, or an empty list to run the EchoPlugin sample.</summary>
    public IReadOnlyList<string> PluginCommandLine { get; private init; } = [];

    /// <summary>Gets a value indicating whether the user asked for help.</summary>
    public bool ShowHelp { get; private init; }

    /// <summary>Gets a value indicating whether HostApp runs the EchoPlugin sample rather than a plugin the user named.</summary>
    public bool IsEchoPlugin => PluginCommandLine.Count == 0;

    /// <summary>Gets the transport's name as the user types it.</summary>
    public string TransportName => Transport == PluginTransport.Stdio ? "stdio" : "pipes";

    /// <summary>Parses <paramref name="args"/>. Options end at <c>--</c> or at the first argument that does not start with <c>-</c>.</summary>
    public static bool TryParse(string[] args, [NotNullWhen(true)] out HostAppOptions? options, [NotNullWhen(false)] out string? error)
    {
        string framer = "text";
        PluginTransport transport = PluginTransport.InheritedPipes;
        bool help = false;
        int index = 0;
        options = null;
        error = null;

        while (index < args.Length)
        {
            string arg = args[index];
            if (arg == "--")
            {
                index++;
                break;
            }

            if (!arg.StartsWith('-'))
            {
                break; // the plugin's command line starts here
            }

            switch (arg)
            {
                case "-h" or "--help":
                    help = true;
                    index++;
                    break;

                case "--framer":
                    if (!TryTakeValue(args, ref index, out string? framerValue, out error))
                    {
                        return false;
                    }

                    if (framerValue is not ("text" or "msgpack"))
                    {
                        error = $"--framer must be 'text' or 'msgpack', not '{framerValue}'.";
                        return false;
                    }

                    framer = framerValue;
                    break;

                case "--transport":
                    if (!TryTakeValue(args, ref index, out string? transportValue, out error))
                    {
                        return false;
                    }

                    switch (transportValue)
                    {
                        case "pipes":
                            transport = PluginTransport.InheritedPipes;
                            break;
                        case "stdio":
                            transport = PluginTransport.Stdio;
                            break;
                        default:
                            error = $"--transport must be 'pipes' or 'stdio', not '{transportValue}'.";
                            return false;
                    }

                    break;

                default:
                    error = $"Unknown option '{arg}'. Put '--' before a plugin command line that starts with '-'.";
                    return false;
            }
        }

        options = new HostAppOptions
        {
            Framer = framer,
            Transport = transport,
            ShowHelp = help,
            PluginCommandLine = args[index..],
        };
        return true;
    }

    private static bool TryTakeValue(string[] args, ref int index, [NotNullWhen(true)] out string? value, [NotNullWhen(false)] out string? error)
    {
        string option = args[index];
        if (index + 1 >= args.Length)
        {
            value = null;
            error = $"{option} needs a value.";
            return false;
        }

        value = args[index + 1];
        error = null;
        index += 2;
        return true;
    }
}
