namespace PluginIpc.Tests;

/// <summary>The framers under test, by wire name.</summary>
public static class Framers
{
    public static readonly string[] Names = ["text", "msgpack"];

    public static IChunkFramer Create(string name) => name switch
    {
        "text" => new NullTerminatedFramer(),
        "msgpack" => new MessagePackFramer(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown framer."),
    };
}
