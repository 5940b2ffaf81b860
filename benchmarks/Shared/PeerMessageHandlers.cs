using MessagePack.Resolvers;
using StreamJsonRpc;

namespace PluginIpc.Benchmarks;

/// <summary>
/// Builds the StreamJsonRpc message handler and formatter of one peer benchmark, the same on both ends, each as StreamJsonRpc
/// documents it for speed: its MessagePack formatters with <see cref="LengthHeaderMessageHandler"/>, its System.Text.Json
/// formatter with <see cref="HeaderDelimitedMessageHandler"/> and a source-generated context.
/// </summary>
internal static class PeerMessageHandlers
{
    /// <summary>MessagePack-CSharp, through StreamJsonRpc's <see cref="MessagePackFormatter"/>.</summary>
    public const string MessagePackCSharp = "MessagePack";

    /// <summary>Nerdbank.MessagePack, through StreamJsonRpc's <see cref="NerdbankMessagePackFormatter"/> (the fastest, per its docs).</summary>
    public const string NerdbankMessagePack = "NerdbankMessagePack";

    /// <summary>System.Text.Json, through StreamJsonRpc's <see cref="SystemTextJsonFormatter"/>.</summary>
    public const string SystemTextJson = "SystemTextJson";

    /// <summary>Returns a new handler that writes messages to <paramref name="sending"/> and reads them from <paramref name="receiving"/>.</summary>
    /// <param name="formatter"><see cref="MessagePackCSharp"/>, <see cref="NerdbankMessagePack"/> or <see cref="SystemTextJson"/>.</param>
    /// <param name="sending">The stream to the other end.</param>
    /// <param name="receiving">The stream from the other end.</param>
    /// <returns>The handler, for a new <see cref="JsonRpc"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="formatter"/> is none of the above.</exception>
    public static IJsonRpcMessageHandler Create(string formatter, Stream sending, Stream receiving) => formatter switch
    {
        MessagePackCSharp => new LengthHeaderMessageHandler(sending, receiving, CreateMessagePackFormatter()),
        NerdbankMessagePack => new LengthHeaderMessageHandler(sending, receiving, CreateNerdbankMessagePackFormatter()),
        SystemTextJson => new HeaderDelimitedMessageHandler(sending, receiving, CreateSystemTextJsonFormatter()),
        _ => throw new ArgumentException($"Unknown formatter '{formatter}': expected {MessagePackCSharp}, {NerdbankMessagePack} or {SystemTextJson}.", nameof(formatter)),
    };

    private static MessagePackFormatter CreateMessagePackFormatter()
    {
        // The contractless resolver, as PluginIpc's default serializer uses: MovePoint has no [MessagePackObject], and both
        // libraries then write it the same way (a map keyed by property name).
        var formatter = new MessagePackFormatter();
        formatter.SetMessagePackSerializerOptions(
            MessagePackFormatter.DefaultUserDataSerializationOptions.WithResolver(ContractlessStandardResolverAllowPrivate.Instance));
        return formatter;
    }

    // As StreamJsonRpc's extensibility docs show it: a witness's type shapes, and the default serializer tuned for speed.
    private static NerdbankMessagePackFormatter CreateNerdbankMessagePackFormatter() => new()
    {
        TypeShapeProvider = PeerShapes.GeneratedTypeShapeProvider,
        UserDataSerializer = NerdbankMessagePackFormatter.DefaultSerializer with { PerfOverSchemaStability = true },
    };

    private static SystemTextJsonFormatter CreateSystemTextJsonFormatter() => new()
    {
        JsonSerializerOptions = { TypeInfoResolver = PeerJsonContext.Default },
    };
}
