using System.Text;
using PluginIpc;

namespace HostApp;

/// <summary>What the host answers when the plugin calls it: the <c>Repeat</c> request and the <c>Notified</c> one-way message.</summary>
internal sealed class HostHandlers
{
    private const int MaxRepeatsShown = 10;
    private static readonly byte[] s_responsePrefix = "Response: "u8.ToArray();

    private readonly TaskCompletionSource<string> _notified = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _repeatCount;

    /// <summary>Gets how many times the plugin called <c>Repeat</c>.</summary>
    public int RepeatCount => Volatile.Read(ref _repeatCount);

    /// <summary>Gets a task that completes with the text of the first <c>Notified</c> message.</summary>
    public Task<string> Notified => _notified.Task;

    /// <summary>Registers the handlers; do it before <see cref="Plugin.StartAsync"/> so that no early call finds them missing.</summary>
    public void Register(Plugin plugin)
    {
        plugin.Handle("Repeat", Repeat);
        plugin.Handle("Notified", OnNotified);
    }

    // A request from the plugin: the returned bytes are the answer. This runs while the plugin's own handler waits for it.
    private ValueTask<ReadOnlyMemory<byte>> Repeat(Chunk request, IChunkPeer peer, CancellationToken cancellationToken)
    {
        int count = Interlocked.Increment(ref _repeatCount);
        if (count <= MaxRepeatsShown)
        {
            StepRunner.Say($"host: the plugin called Repeat(\"{Encoding.UTF8.GetString(request.Buffer.Span)}\")");
        }

        byte[] answer = [.. s_responsePrefix, .. request.Buffer.Span];
        return ValueTask.FromResult<ReadOnlyMemory<byte>>(answer);
    }

    // A one-way message from the plugin: nothing is sent back, and the returned value is ignored.
    private ValueTask<ReadOnlyMemory<byte>> OnNotified(Chunk message, IChunkPeer peer, CancellationToken cancellationToken)
    {
        string text = Encoding.UTF8.GetString(message.Buffer.Span);
        StepRunner.Say($"host: received the one-way message Notified(\"{text}\")");
        _notified.TrySetResult(text);
        return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
    }
}
