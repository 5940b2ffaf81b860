namespace PluginIpc.FloorBench;

/// <summary>A started echo peer that the driver measures: a .NET floor or PluginIpc.</summary>
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
}
