namespace PluginIpc;

/// <content>
/// Large buffers read into arrays rented from the pool, for the consumers that give them back (<see cref="PooledBuffer"/>).
/// </content>
public sealed partial class Channel
{
    /// <summary>Says whether a large chunk's buffer, whose header has just arrived, goes to a consumer that gives a rented array back.</summary>
    /// <remarks>A guess: a call may be settled, or a handler replaced, before the chunk is dispatched. A consumer that does not give arrays back then keeps it, and the pool just misses it.</remarks>
    private bool RentsBufferFor(ChunkHeader header) => header.Direction switch
    {
        Direction.Response => _pending.TryGet(header.ThreadId, out PendingCall? call) && call.TakesPooledBuffer,
        Direction.Request => _handlers.Find(header.Cmd) is { LendsRequestBuffers: true },
        _ => false,
    };

    /// <summary>Leaves a request's rented array to the handler that runs, for good, unless that handler lends its buffers back.</summary>
    private static void KeepLentOnlyFor(Chunk request, HandlerRegistration? registration)
    {
        // Only a buffer the direct reader took can be rented: the length test spares every small request the type test.
        if (request.Buffer.Length >= DirectBufferReader.MinMissingBytes && registration is not { LendsRequestBuffers: true })
        {
            RentedBuffer.Keep(request.Buffer);
        }
    }

    /// <summary>Takes back a request's rented array once its handler is done and its answer framed; at most once.</summary>
    private static void ReturnLent(Chunk request)
    {
        if (request.Buffer.Length >= DirectBufferReader.MinMissingBytes)
        {
            RentedBuffer.Return(request.Buffer);
        }
    }
}
