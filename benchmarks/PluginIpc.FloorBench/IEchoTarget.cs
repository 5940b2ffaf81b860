namespace PluginIpc.FloorBench;

/// <summary>A started echo peer that the driver measures: a .NET floor, PluginIpc or StreamJsonRpc.</summary>
internal interface IEchoTarget : IAsyncDisposable
{
    /// <summary>Gets the child's process id.</summary>
    int ChildProcessId { get; }

    /// <summary>Makes <paramref name="count"/> 64 B calls one after another.</summary>
    ValueTask RoundTripsAsync(int count);

    /// <summary>Makes <paramref name="batches"/> batches of 64 calls of 64 B, all 64 in flight at once.</summary>
    ValueTask InFlightAsync(int batches);

    /// <summary>Echoes <paramref name="count"/> payloads of <paramref name="size"/> bytes one after another.</summary>
    ValueTask EchoAsync(int size, int count);

    /// <summary>Gets a value indicating whether the target makes typed calls (<see cref="MovesAsync"/>).</summary>
    bool CanMove { get; }

    /// <summary>Makes <paramref name="count"/> typed calls one after another: a point (1, 2) moved by (3, 4). Does nothing unless <see cref="CanMove"/>.</summary>
    ValueTask MovesAsync(int count);
}
