// HostApp: starts a plugin process with PluginIpc and walks through what the library does, checking every step.
//   dotnet run --project samples/HostApp                        runs the EchoPlugin sample
//   dotnet run --project samples/HostApp -- <plugin command>    runs any plugin that implements GetMetadata and echo
//   dotnet run --project samples/HostApp -- --help              shows the options
// Exit code: 0 if every step worked, 1 if a step failed, 2 for a bad command line.
using HostApp;
using Microsoft.Extensions.Logging;

if (!HostAppOptions.TryParse(args, out HostAppOptions? options, out string? error))
{
    Console.Error.WriteLine($"HostApp: {error}");
    Console.Error.WriteLine("Run with --help for usage.");
    return 2;
}

if (options.ShowHelp)
{
    Console.WriteLine(HostAppOptions.Usage);
    return 0;
}

// The host's logging: the library's own entries, and the plugin's cmd.log entries and output lines under
// PluginIpc.Plugins.<name>, all go to this factory.
using ILoggerFactory loggerFactory = LoggerFactory.Create(logging => logging
    .SetMinimumLevel(LogLevel.Information)
    .AddProvider(new ConsoleLoggerProvider()));

return await new Demo(options, loggerFactory).RunAsync();
