namespace PluginIpc;

/// <summary>
/// Counts what a channel has read but not yet started to handle (one-way messages in their queue, requests waiting for a
/// handler slot) and its bytes, so that the read loop stops reading while either is over its limit: a peer that sends
/// faster than its messages are handled is held back by its own pipe, and this process's memory stays bounded.
/// </summary>
/// <remarks>
/// Thread safe. One waiter at a time: the read loop. Reading resumes once both have fallen to half their limits, so that a
/// saturated channel pauses once per half a backlog rather than once per message.
/// </remarks>
internal sealed class DispatchBacklog
{
    private readonly int _maxCount;
    private readonly long _maxBytes;
    private int _count;
    private long _bytes;
    private TaskCompletionSource? _room;

    /// <summary>Initializes the limits.</summary>
    /// <param name="maxCount">How many messages may wait before reading stops.</param>
    /// <param name="maxBytes">How many bytes of them may wait before reading stops.</param>
    public DispatchBacklog(int maxCount, long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        _maxCount = maxCount;
        _maxBytes = maxBytes;
    }

    /// <summary>Gets the number of messages waiting.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Gets a value indicating whether reading must stop until <see cref="WaitForRoomAsync"/> completes.</summary>
    public bool IsFull => Volatile.Read(ref _count) >= _maxCount || Volatile.Read(ref _bytes) >= _maxBytes;

    /// <summary>Gets the bytes a chunk counts for: its body and its command.</summary>
    public static int SizeOf(Chunk chunk) => chunk.Buffer.Length + chunk.Cmd.Length;

    /// <summary>Counts a chunk that waits for its handler.</summary>
    public void Add(Chunk chunk)
    {
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _bytes, SizeOf(chunk));
    }

    /// <summary>Stops counting a chunk added earlier, and lets reading resume once there is room.</summary>
    public void Remove(Chunk chunk)
    {
        int count = Interlocked.Decrement(ref _count);
        long bytes = Interlocked.Add(ref _bytes, -SizeOf(chunk));
        if (Volatile.Read(ref _room) is not null && HasRoom(count, bytes))
        {
            Interlocked.Exchange(ref _room, null)?.TrySetResult();
        }
    }

    /// <summary>Waits until the backlog has fallen to half its limits.</summary>
    /// <param name="cancellationToken">Ends the wait: the channel is closing.</param>
    /// <returns>A task that completes when reading may resume.</returns>
    public Task WaitForRoomAsync(CancellationToken cancellationToken)
    {
        var room = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _room, room);

        // A remover that looked before the waiter was visible did not signal it: look again after publishing it.
        if (HasRoom(Volatile.Read(ref _count), Volatile.Read(ref _bytes)))
        {
            Interlocked.Exchange(ref _room, null)?.TrySetResult();
        }

        return room.Task.WaitAsync(cancellationToken);
    }

    private bool HasRoom(int count, long bytes) => count <= _maxCount / 2 && bytes <= _maxBytes / 2;
}
