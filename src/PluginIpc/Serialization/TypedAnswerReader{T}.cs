using System.Runtime.CompilerServices;

namespace PluginIpc;

/// <summary>
/// Reads the answers of typed calls to one command of one peer as <typeparamref name="T"/>: the function the channel applies
/// to the response, so a typed call needs no state machine of its own. A few are kept per type, so a call allocates none.
/// </summary>
/// <typeparam name="T">The answer's type.</typeparam>
internal sealed class TypedAnswerReader<T>
{
    private const int Slots = 16;

    // Slots are replaced whole, never changed: a race only costs a reader made again.
    private static readonly TypedAnswerReader<T>?[] s_slots = new TypedAnswerReader<T>?[Slots];

    private readonly IPluginSerializer _serializer;
    private readonly string _peerName;
    private readonly string _cmd;

    private TypedAnswerReader(IPluginSerializer serializer, string peerName, string cmd)
    {
        _serializer = serializer;
        _peerName = peerName;
        _cmd = cmd;
        Read = ReadResponse;
    }

    /// <summary>Gets the function that reads a response's buffer as a <typeparamref name="T"/>.</summary>
    public Func<ReceivedChunk, T> Read { get; }

    /// <summary>Returns the reader of answers to <paramref name="cmd"/> from the peer named <paramref name="peerName"/> in <paramref name="serializer"/>'s format.</summary>
    /// <remarks>Matched by reference: commands and names are nearly always the same string objects call after call; others only cost a new reader.</remarks>
    public static Func<ReceivedChunk, T> For(IPluginSerializer serializer, string peerName, string cmd)
    {
        ref TypedAnswerReader<T>? slot = ref s_slots[(RuntimeHelpers.GetHashCode(cmd) ^ RuntimeHelpers.GetHashCode(peerName)) & (Slots - 1)];
        TypedAnswerReader<T>? reader = Volatile.Read(ref slot);
        if (reader is null || !ReferenceEquals(reader._cmd, cmd) || !ReferenceEquals(reader._peerName, peerName) || !ReferenceEquals(reader._serializer, serializer))
        {
            reader = new TypedAnswerReader<T>(serializer, peerName, cmd);
            Volatile.Write(ref slot, reader);
        }

        return reader.Read;
    }

    private T ReadResponse(ReceivedChunk response) => TypedPayload.ReadAnswer<T>(_serializer, response.Buffer, _peerName, _cmd);
}
