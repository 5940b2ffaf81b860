namespace PluginIpc.Contracts;

/// <summary>An <see cref="IProgress{T}"/> whose reports go to the caller as <c>cmd.progress</c> one-way messages, <c>[token, value]</c>.</summary>
/// <remarks>A caller that passed no progress object gets one that drops every report, so implementations need no null check.</remarks>
internal sealed class RemoteProgress<T>(IChunkPeer peer, IPluginSerializer serializer, long? token) : RemoteProgress, IProgress<T>
{
    /// <inheritdoc/>
    public void Report(T value)
    {
        if (Ended || token is not long id)
        {
            return;
        }

        // Framed now, before the call's answer, unless the writer is full: then the answer waits for it (see EndAsync).
        ValueTask sent = peer.NotifyAsync(Commands.Progress, SerializerArrays.Of(serializer, id, value));
        if (!sent.IsCompletedSuccessfully)
        {
            Track(ObserveAsync(sent).AsTask());
        }
    }

    private static async ValueTask ObserveAsync(ValueTask sent)
    {
        try
        {
            await sent.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ChannelClosedException or OperationCanceledException)
        {
            // The connection is gone; so is the caller waiting for these reports.
        }
    }
}
