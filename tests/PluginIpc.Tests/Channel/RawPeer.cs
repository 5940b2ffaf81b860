using System.Buffers;
using System.IO.Pipelines;

namespace PluginIpc.Tests.Channel;

/// <summary>The far end of a channel without a channel: reads and writes chunks or raw bytes by hand, to misbehave on purpose.</summary>
public sealed class RawPeer : IAsyncDisposable
{
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly IChunkFramer _framer;

    private RawPeer(PipeReader input, PipeWriter output, IChunkFramer framer)
    {
        _input = input;
        _output = output;
        _framer = framer;
    }

    /// <summary>Creates a peer that only reads, from <paramref name="input"/>, with <paramref name="framer"/>.</summary>
    public static RawPeer Reading(PipeReader input, IChunkFramer framer) => new(input, PipeWriter.Create(Stream.Null), framer);

    /// <summary>Creates a channel (not started) and the raw peer at its other end.</summary>
    public static (PluginIpc.Channel Channel, RawPeer Peer) Create(string framer, string transport, ChannelOptions? options = null)
    {
        if (transport == Transports.Memory)
        {
            var (host, plugin) = TestPipes.CreatePair();
            return (new PluginIpc.Channel(host, Framers.Create(framer), options), new RawPeer(plugin.Input, plugin.Output, Framers.Create(framer)));
        }

        var (hostInput, hostOutput, pluginInput, pluginOutput) = transport == Transports.DedicatedPipes ? TestPipes.CreateDedicatedPipes(pluginInputToo: false) : TestPipes.CreateOsPipes();
        return (
            new PluginIpc.Channel(hostInput, hostOutput, Framers.Create(framer), options),
            new RawPeer(PipeReader.Create(pluginInput), PipeWriter.Create(pluginOutput), Framers.Create(framer)));
    }

    public async Task<Chunk> ReadChunkAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await _input.ReadAsync(cancellationToken);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (_framer.TryRead(ref buffer, out Chunk? chunk))
            {
                // Only what was consumed: the rest may already hold the next chunk.
                _input.AdvanceTo(buffer.Start);
                return chunk!;
            }

            _input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                throw new EndOfStreamException("The channel closed its output.");
            }
        }
    }

    public async Task WriteChunkAsync(Chunk chunk, CancellationToken cancellationToken)
    {
        _framer.Write(chunk, _output);
        await _output.FlushAsync(cancellationToken);
    }

    /// <summary>Writes <paramref name="chunks"/> with one flush, so that the channel reads them together.</summary>
    public async Task WriteChunksAsync(IEnumerable<Chunk> chunks, CancellationToken cancellationToken)
    {
        foreach (Chunk chunk in chunks)
        {
            _framer.Write(chunk, _output);
        }

        await _output.FlushAsync(cancellationToken);
    }

    public async Task WriteRawAsync(byte[] bytes, CancellationToken cancellationToken) =>
        await _output.WriteAsync(bytes, cancellationToken);

    public async Task CompleteOutputAsync() => await _output.CompleteAsync();

    public async ValueTask DisposeAsync()
    {
        await _output.CompleteAsync();
        await _input.CompleteAsync();
    }
}
