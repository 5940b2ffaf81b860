using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using PluginIpc;

/// <summary>
/// Plugins that misbehave on purpose, for the host's hostile-plugin tests. Each speaks the text framing by hand over the
/// launch contract's connection, so it can break the protocol at a chosen moment. In the global namespace, as Program is:
/// a namespace PluginIpc.TestPlugin would hide the tests' TestPlugin class from them.
/// </summary>
internal static class Hostile
{
    private const string Name = "Hostile";

    /// <summary>Runs the behaviour <paramref name="behaviour"/>; see the cases for what each does.</summary>
    public static async Task<int> RunAsync(string behaviour)
    {
        LaunchContract contract = LaunchContract.ReadOrExit(LaunchVariables.DefaultCookie, Name);
        await using PluginConnection connection = PluginConnection.Open(contract);
        PipeReader input = PipeReader.Create(connection.Input);
        PipeWriter output = PipeWriter.Create(connection.Output);
        var framer = new NullTerminatedFramer();

        Chunk handshake = await ReadAsync(input, framer);
        if (behaviour == "garbage-at-start")
        {
            // Not a number where the answer's thread id belongs.
            await output.WriteAsync("12x\0"u8.ToArray());
            await Console.Error.WriteLineAsync("wrote garbage as the handshake's answer");
            return await WaitForEndOfInputAsync(input);
        }

        await AnswerAsync(output, framer, handshake, "{\"protocol\":\"1\",\"name\":\"Hostile\"}"u8.ToArray());
        switch (behaviour)
        {
            case "garbage-on-request":
                // Answers pings; the first other request gets garbage instead of an answer.
                while (true)
                {
                    Chunk request = await ReadAsync(input, framer);
                    if (request.Cmd == Commands.Ping)
                    {
                        await AnswerAsync(output, framer, request, ReadOnlyMemory<byte>.Empty);
                        continue;
                    }

                    await output.WriteAsync("1\0zz\0"u8.ToArray());
                    await Console.Error.WriteLineAsync("wrote garbage");
                    return await WaitForEndOfInputAsync(input);
                }

            case "ping-error":
                // Answers every ping with an error, as a closing peer of another implementation may: alive, but not well.
                while (true)
                {
                    Chunk ping = await ReadAsync(input, framer);
                    framer.Write(new Chunk { ThreadId = ping.ThreadId, Direction = Direction.Response, Cmd = Commands.Error, Buffer = "{\"code\":\"SHUTTING_DOWN\",\"message\":\"closing\"}"u8.ToArray() }, output);
                    await output.FlushAsync();
                    await Console.Error.WriteLineAsync("answered a ping with an error");
                }

            case "stop-reading":
                // Never reads again and never exits: the host's writes fill the pipe, and its pings go unanswered.
                await Console.Error.WriteLineAsync("stopped reading");
                await Task.Delay(Timeout.Infinite);
                return 0;

            case "flood-oneway":
                // Answers the request "flood" at once, then sends one-way "note" messages of 200 bytes as fast as the pipe takes them.
                Chunk flood = await ReadAsync(input, framer);
                await AnswerAsync(output, framer, flood, ReadOnlyMemory<byte>.Empty);
                byte[] note = new byte[200];
                for (long sent = 1; ; sent++)
                {
                    framer.Write(new Chunk { ThreadId = 0, Direction = Direction.OneWay, Cmd = "note", Buffer = note }, output);
                    if ((sent & 63) == 0)
                    {
                        await output.FlushAsync();
                    }
                }

            default:
                await Console.Error.WriteLineAsync($"unknown hostile behaviour '{behaviour}'");
                return 2;
        }
    }

    private static async Task<Chunk> ReadAsync(PipeReader input, NullTerminatedFramer framer)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync();
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (framer.TryRead(ref buffer, out Chunk? chunk))
            {
                input.AdvanceTo(buffer.Start);
                return chunk!;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                throw new EndOfStreamException("The host closed the connection.");
            }
        }
    }

    private static async Task AnswerAsync(PipeWriter output, NullTerminatedFramer framer, Chunk request, ReadOnlyMemory<byte> body)
    {
        framer.Write(new Chunk { ThreadId = request.ThreadId, Direction = Direction.Response, Cmd = request.Cmd, Buffer = body }, output);
        await output.FlushAsync();
    }

    /// <summary>Reads (and drops) input until the host closes it, then exits 0, as a plugin that lost its host does.</summary>
    private static async Task<int> WaitForEndOfInputAsync(PipeReader input)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync();
            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                await Console.Error.WriteLineAsync("end of input");
                return 0;
            }
        }
    }
}
