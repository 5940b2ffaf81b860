namespace PluginIpc.Contracts;

/// <summary>One contract stream on its producer's side.</summary>
internal abstract class ProducerStream
{
    protected ProducerStream(long id, Channel? connection)
    {
        Id = id;
        Connection = connection;
    }

    /// <summary>Gets the stream's id on its connection.</summary>
    public long Id { get; }

    /// <summary>Gets the connection it was opened on, whose end ends it.</summary>
    public Channel? Connection { get; }

    /// <summary>Answers a request for up to <paramref name="window"/> items.</summary>
    /// <param name="window">How many items the consumer granted.</param>
    /// <param name="first">Whether this answers the opening call, which does not wait for items.</param>
    /// <param name="requestToken">Fires when the request is cancelled or the connection closes; it ends the stream.</param>
    public abstract ValueTask<ReadOnlyMemory<byte>> NextAsync(int window, bool first, CancellationToken requestToken);

    /// <summary>Ends the stream: its enumeration is cancelled and disposed, now or when the request in progress ends.</summary>
    public abstract void RequestEnd();
}
