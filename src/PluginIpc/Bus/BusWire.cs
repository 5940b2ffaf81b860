using System.Buffers;
using MessagePack;

namespace PluginIpc;

/// <summary>
/// The buffers of the bus commands (docs/PROTOCOL.md, section 9), each an array in the connection's serializer format.
/// Readers answer <see cref="ErrorCodes.InvalidRequest"/> for a buffer that is not what the command takes.
/// </summary>
internal static class BusWire
{
    /// <summary>The most replies one <c>bus.request</c> answer may carry.</summary>
    public const int MaxReplies = 1024;

    /// <summary><c>bus.message</c> (and host-to-plugin <c>bus.request</c>): <c>[topic, origin, sequence, publisher, payload]</c>.</summary>
    public static byte[] Message(IPluginSerializer serializer, BusEnvelope envelope)
    {
        var writer = new ArrayBufferWriter<byte>(64 + envelope.Topic.Length + envelope.Payload.Length + (envelope.Payload.Length / 3));
        serializer.WriteArrayStart(writer, 5);
        serializer.Serialize(writer, envelope.Topic);
        serializer.WriteArraySeparator(writer);
        serializer.Serialize(writer, envelope.Origin);
        serializer.WriteArraySeparator(writer);
        serializer.Serialize(writer, envelope.Sequence);
        serializer.WriteArraySeparator(writer);
        serializer.Serialize(writer, envelope.Publisher);
        serializer.WriteArraySeparator(writer);
        serializer.Serialize(writer, envelope.Payload);
        serializer.WriteArrayEnd(writer);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Reads a <c>bus.message</c> (or host-to-plugin <c>bus.request</c>); <paramref name="inPlace"/>, MessagePack is read without
    /// copying the payload (a slice of the chunk's buffer) and with the topics and names of <see cref="Utf8StringCache"/>.
    /// </summary>
    public static BusEnvelope ReadMessage(IPluginSerializer serializer, Chunk chunk, bool inPlace = false)
    {
        if (inPlace && serializer is MessagePackPluginSerializer && TryReadMessagePack(chunk.Buffer) is { } envelope)
        {
            return envelope;
        }

        Span<Range> parts = stackalloc Range[5];
        ReadOnlyMemory<byte> buffer = chunk.Buffer;
        try
        {
            Parts(serializer, buffer, parts);
            return new BusEnvelope(
                Topic(serializer.Deserialize<string>(buffer[parts[0]])),
                serializer.Deserialize<string>(buffer[parts[1]]) ?? "",
                serializer.Deserialize<long>(buffer[parts[2]]),
                serializer.Deserialize<string?>(buffer[parts[3]]),
                serializer.Deserialize<ReadOnlyMemory<byte>>(buffer[parts[4]]));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw Invalid(serializer, chunk, "[topic, origin, sequence, publisher, payload]", ex);
        }
    }

    /// <summary>
    /// The hot path of <see cref="ReadMessage"/>: plain MessagePack (str, str or nil, int, str or nil, bin) read in place, the payload
    /// a slice of the chunk's own buffer (a chunk owns it and never changes it). Anything else (compressed, ext types) returns
    /// <see langword="null"/>, and the general reader reads it or says what is wrong.
    /// </summary>
    private static BusEnvelope? TryReadMessagePack(ReadOnlyMemory<byte> buffer)
    {
        try
        {
            var reader = new MessagePackReader(buffer);
            if (reader.NextMessagePackType != MessagePackType.Array || reader.ReadArrayHeader() != 5
                || reader.NextMessagePackType != MessagePackType.String || !reader.TryReadStringSpan(out ReadOnlySpan<byte> topic))
            {
                return null;
            }

            string topicText = Text(topic);
            string origin = "";
            if (!reader.TryReadNil())
            {
                if (reader.NextMessagePackType != MessagePackType.String || !reader.TryReadStringSpan(out ReadOnlySpan<byte> originBytes))
                {
                    return null;
                }

                origin = Text(originBytes);
            }

            if (reader.NextMessagePackType != MessagePackType.Integer)
            {
                return null;
            }

            long sequence = reader.ReadInt64();
            string? publisher = null;
            if (!reader.TryReadNil())
            {
                if (reader.NextMessagePackType != MessagePackType.String || !reader.TryReadStringSpan(out ReadOnlySpan<byte> publisherBytes))
                {
                    return null;
                }

                publisher = Text(publisherBytes);
            }

            if (reader.NextMessagePackType != MessagePackType.Binary || reader.ReadBytes() is not { IsSingleSegment: true } payload || !reader.End)
            {
                return null;
            }

            return new BusEnvelope(topicText, origin, sequence, publisher, payload.First);
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or ProtocolException)
        {
            return null; // truncated, malformed or not UTF-8: the general reader says so, or decodes it
        }
    }

    /// <summary><c>bus.subscribe</c> and <c>bus.unsubscribe</c>: <c>[topic, isPattern]</c>.</summary>
    public static byte[] Subscription(IPluginSerializer serializer, string topic, bool pattern) => Array(serializer, topic, pattern);

    public static (string Topic, bool Pattern) ReadSubscription(IPluginSerializer serializer, Chunk chunk)
    {
        Span<Range> parts = stackalloc Range[2];
        ReadOnlyMemory<byte> buffer = chunk.Buffer;
        try
        {
            Parts(serializer, buffer, parts);
            return (Topic(serializer.Deserialize<string>(buffer[parts[0]])), serializer.Deserialize<bool>(buffer[parts[1]]));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw Invalid(serializer, chunk, "[topic, isPattern]", ex);
        }
    }

    /// <summary><c>bus.publish</c>: <c>[topic, payload]</c>.</summary>
    public static byte[] Publish(IPluginSerializer serializer, string topic, ReadOnlyMemory<byte> payload) => Array(serializer, topic, payload);

    public static (string Topic, ReadOnlyMemory<byte> Payload) ReadPublish(IPluginSerializer serializer, Chunk chunk)
    {
        Span<Range> parts = stackalloc Range[2];
        ReadOnlyMemory<byte> buffer = chunk.Buffer;
        try
        {
            Parts(serializer, buffer, parts);
            return (Topic(serializer.Deserialize<string>(buffer[parts[0]])), serializer.Deserialize<ReadOnlyMemory<byte>>(buffer[parts[1]]));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw Invalid(serializer, chunk, "[topic, payload]", ex);
        }
    }

    /// <summary>Plugin-to-host <c>bus.request</c>: <c>[topic, payload, all, timeoutMs]</c>.</summary>
    public static byte[] Request(IPluginSerializer serializer, string topic, ReadOnlyMemory<byte> payload, bool all, long timeoutMs)
    {
        var writer = new ArrayBufferWriter<byte>(64 + topic.Length + payload.Length + (payload.Length / 3));
        serializer.WriteArrayStart(writer, 4);
        serializer.Serialize(writer, topic);
        serializer.WriteArraySeparator(writer);
        serializer.Serialize(writer, payload);
        serializer.WriteArraySeparator(writer);
        serializer.Serialize(writer, all);
        serializer.WriteArraySeparator(writer);
        serializer.Serialize(writer, timeoutMs);
        serializer.WriteArrayEnd(writer);
        return writer.WrittenSpan.ToArray();
    }

    public static (string Topic, ReadOnlyMemory<byte> Payload, bool All, long TimeoutMs) ReadRequest(IPluginSerializer serializer, Chunk chunk)
    {
        Span<Range> parts = stackalloc Range[4];
        ReadOnlyMemory<byte> buffer = chunk.Buffer;
        try
        {
            Parts(serializer, buffer, parts);
            return (
                Topic(serializer.Deserialize<string>(buffer[parts[0]])),
                serializer.Deserialize<ReadOnlyMemory<byte>>(buffer[parts[1]]),
                serializer.Deserialize<bool>(buffer[parts[2]]),
                serializer.Deserialize<long>(buffer[parts[3]]));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw Invalid(serializer, chunk, "[topic, payload, all, timeoutMs]", ex);
        }
    }

    /// <summary>The answer of a plugin's <c>bus.request</c>: one reply <c>[publisher, payload]</c>, or for "all" an array of them.</summary>
    public static byte[] Replies(IPluginSerializer serializer, IReadOnlyList<BusMessage> replies, bool all)
    {
        var writer = new ArrayBufferWriter<byte>(64);
        if (all)
        {
            serializer.WriteArrayStart(writer, replies.Count);
        }

        for (int i = 0; i < replies.Count; i++)
        {
            if (i > 0)
            {
                serializer.WriteArraySeparator(writer);
            }

            serializer.WriteArrayStart(writer, 2);
            serializer.Serialize(writer, replies[i].Publisher);
            serializer.WriteArraySeparator(writer);
            serializer.Serialize(writer, replies[i].Payload);
            serializer.WriteArrayEnd(writer);
        }

        if (all)
        {
            serializer.WriteArrayEnd(writer);
        }

        return writer.WrittenSpan.ToArray();
    }

    public static BusMessage ReadReply(IPluginSerializer serializer, ReadOnlyMemory<byte> buffer, string topic, IPluginSerializer payloads)
    {
        Span<Range> parts = stackalloc Range[2];
        if (serializer.ReadArray(buffer, parts) != 2)
        {
            throw new ProtocolException($"The host's answer to a bus request of topic '{topic}' is not [publisher, payload] in the {serializer.Name} format.");
        }

        return new BusMessage(new BusEnvelope(topic, "", 0, serializer.Deserialize<string?>(buffer[parts[0]]), serializer.Deserialize<ReadOnlyMemory<byte>>(buffer[parts[1]])), 0, payloads);
    }

    public static List<BusMessage> ReadReplies(IPluginSerializer serializer, ReadOnlyMemory<byte> buffer, string topic, IPluginSerializer payloads)
    {
        Range[] items = ArrayPool<Range>.Shared.Rent(MaxReplies);
        try
        {
            int count = serializer.ReadArray(buffer, items.AsSpan(0, MaxReplies));
            var replies = new List<BusMessage>(count);
            for (int i = 0; i < count; i++)
            {
                replies.Add(ReadReply(serializer, buffer[items[i]], topic, payloads));
            }

            return replies;
        }
        finally
        {
            ArrayPool<Range>.Shared.Return(items);
        }
    }

    /// <summary>The answer of <c>bus.hello</c>: <c>[applicationId, hostId, publishAllowList, subscribeAllowList]</c>, each list <c>nil</c> for "any non-system topic".</summary>
    public static byte[] Hello(IPluginSerializer serializer, string? applicationId, string hostId, IReadOnlyList<string>? publish, IReadOnlyList<string>? subscribe)
    {
        var writer = new ArrayBufferWriter<byte>(128);
        serializer.WriteArrayStart(writer, 4);
        serializer.Serialize(writer, applicationId);
        serializer.WriteArraySeparator(writer);
        serializer.Serialize(writer, hostId);
        serializer.WriteArraySeparator(writer);
        serializer.Serialize(writer, publish?.ToArray());
        serializer.WriteArraySeparator(writer);
        serializer.Serialize(writer, subscribe?.ToArray());
        serializer.WriteArrayEnd(writer);
        return writer.WrittenSpan.ToArray();
    }

    public static (string? ApplicationId, string HostId, string[]? Publish, string[]? Subscribe) ReadHello(IPluginSerializer serializer, ReadOnlyMemory<byte> buffer)
    {
        Span<Range> parts = stackalloc Range[4];
        if (serializer.ReadArray(buffer, parts) != 4)
        {
            throw new ProtocolException($"The host's answer to bus.hello is not [applicationId, hostId, publish, subscribe] in the {serializer.Name} format.");
        }

        return (serializer.Deserialize<string?>(buffer[parts[0]]), serializer.Deserialize<string>(buffer[parts[1]]) ?? "",
            serializer.Deserialize<string[]?>(buffer[parts[2]]), serializer.Deserialize<string[]?>(buffer[parts[3]]));
    }

    /// <summary>The bytes every relay frame of host <paramref name="origin"/> starts with: the array header, the version and the origin.</summary>
    public static byte[] RelayPrefix(string origin)
    {
        var buffer = new ArrayBufferWriter<byte>(48);
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(6);
        writer.Write(RelayVersion);
        writer.Write(origin);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// A frame between hosts (through a <see cref="PluginBusRelay"/>), always MessagePack: <c>[1, origin, topic, sequence, publisher, payload]</c>,
    /// from the origin's <see cref="RelayPrefix"/>, the payload last. One array of the exact size is allocated; the writer is the thread's own.
    /// </summary>
    public static byte[] Relay(ReadOnlySpan<byte> prefix, string topic, long sequence, string? publisher, ReadOnlySpan<byte> payload)
    {
        ArrayBufferWriter<byte> buffer = t_relayBuffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        buffer.Write(prefix);
        var writer = new MessagePackWriter(buffer);
        writer.Write(topic);
        writer.Write(sequence);
        if (publisher is null)
        {
            writer.WriteNil();
        }
        else
        {
            writer.Write(publisher);
        }

        writer.Write(payload);
        writer.Flush();
        byte[] frame = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > MaxKeptRelayBuffer)
        {
            t_relayBuffer = null; // a large message's buffer is not kept for the thread's life
        }

        return frame;
    }

    /// <summary>Reads a relay frame; the payload is a slice of <paramref name="frame"/> (the bus owns frames it receives), and recent strings come from <see cref="Utf8StringCache"/>.</summary>
    /// <exception cref="FormatException">The frame is not a relay frame of version 1, or its topic is not valid.</exception>
    /// <exception cref="ProtocolException">A string in it is not valid UTF-8.</exception>
    public static BusEnvelope ReadRelay(ReadOnlyMemory<byte> frame)
    {
        const string Shape = "[1, origin, topic, sequence, publisher, payload] in MessagePack";
        try
        {
            var reader = new MessagePackReader(frame);
            if (reader.ReadArrayHeader() != 6 || reader.ReadInt32() != RelayVersion)
            {
                throw new FormatException($"the {frame.Length} bytes are not {Shape}");
            }

            string origin = ReadString(ref reader) ?? "";
            string topic = Topic(ReadString(ref reader));
            if (BusTopics.Problem(topic, pattern: false, BusTopics.MaxExpandedLength) is { } problem) // expanded by its sender
            {
                throw new FormatException(problem);
            }

            if (!IsHostId(origin))
            {
                throw new FormatException($"its origin is not a host id (32 lowercase hex digits) but {origin.Length} characters");
            }

            long sequence = reader.ReadInt64();
            if (sequence < 1)
            {
                throw new FormatException($"its sequence is {sequence}; messages are numbered from 1");
            }

            string? publisher = ReadString(ref reader);
            if (publisher is { Length: > MaxPublisherLength })
            {
                throw new FormatException($"its publisher is {publisher.Length} characters, over {MaxPublisherLength}");
            }

            ReadOnlyMemory<byte> payload = reader.TryReadNil() ? ReadOnlyMemory<byte>.Empty : Slice(frame, reader.ReadBytes());
            return new BusEnvelope(topic, origin, sequence, publisher, payload);
        }
        catch (MessagePackSerializationException ex)
        {
            throw new FormatException($"the {frame.Length} bytes are not {Shape}: {ex.Message}", ex);
        }
    }

    /// <summary>The longest publisher name a relay frame may carry: a plugin's name.</summary>
    private const int MaxPublisherLength = 256;

    /// <summary>Whether <paramref name="origin"/> is what <see cref="HostBus.HostId"/> is: 32 lowercase hex digits.</summary>
    private static bool IsHostId(string origin) =>
        origin.Length == 32 && !origin.AsSpan().ContainsAnyExcept(s_lowerHexDigits);

    private static readonly System.Buffers.SearchValues<char> s_lowerHexDigits = System.Buffers.SearchValues.Create("0123456789abcdef");

    /// <summary>The largest writer buffer a thread keeps for relay frames.</summary>
    private const int MaxKeptRelayBuffer = 64 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_relayBuffer;

    private static string? ReadString(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        return reader.TryReadStringSpan(out ReadOnlySpan<byte> utf8) ? Text(utf8) : reader.ReadString();
    }

    /// <summary>Decodes a topic, origin or publisher, strictly, reusing the string of one seen lately.</summary>
    private static string Text(ReadOnlySpan<byte> utf8) => Utf8StringCache.GetString(utf8, 0, "a bus topic or name");

    /// <summary>The bytes <see cref="MessagePackReader.ReadBytes"/> read, as memory of the frame itself (copied only if split, which a frame never is).</summary>
    private static ReadOnlyMemory<byte> Slice(ReadOnlyMemory<byte> frame, ReadOnlySequence<byte>? bytes) => bytes switch
    {
        null => ReadOnlyMemory<byte>.Empty,
        { IsSingleSegment: true } single => single.First,
        { } split => split.ToArray(),
    };

    private const int RelayVersion = 1;

    private static byte[] Array<TFirst, TSecond>(IPluginSerializer serializer, TFirst first, TSecond second)
    {
        var writer = new ArrayBufferWriter<byte>(32);
        serializer.WriteArrayStart(writer, 2);
        serializer.Serialize(writer, first);
        serializer.WriteArraySeparator(writer);
        serializer.Serialize(writer, second);
        serializer.WriteArrayEnd(writer);
        return writer.WrittenSpan.ToArray();
    }

    private static string Topic(string? topic) => topic ?? throw new FormatException("the topic is nil");

    /// <summary>Splits <paramref name="buffer"/> into exactly <paramref name="parts"/>.Length values.</summary>
    private static void Parts(IPluginSerializer serializer, ReadOnlyMemory<byte> buffer, Span<Range> parts)
    {
        int count = serializer.ReadArray(buffer, parts);
        if (count != parts.Length)
        {
            throw new FormatException($"it has {count} values");
        }
    }

    private static RemoteException Invalid(IPluginSerializer serializer, Chunk chunk, string shape, Exception failure) =>
        new(ErrorCodes.InvalidRequest, $"'{chunk.Cmd}' takes {shape} in the {serializer.Name} format; the {chunk.Buffer.Length} bytes sent are not that: {failure.Message}") { Cmd = chunk.Cmd };
}
