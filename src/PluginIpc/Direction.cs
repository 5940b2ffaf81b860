namespace PluginIpc;

/// <summary>The kind of a <see cref="Chunk"/>: what the receiver does with it.</summary>
public enum Direction : byte
{
    /// <summary>Ignored by the receiver.</summary>
    Noop = 0,

    /// <summary>A one-way message: handled, never answered.</summary>
    OneWay = 1,

    /// <summary>A request: answered by exactly one <see cref="Response"/> with the same thread id.</summary>
    Request = 2,

    /// <summary>The answer to a <see cref="Request"/> that the receiver sent.</summary>
    Response = 3,

    /// <summary>Withdraws a <see cref="Request"/> that the sender made earlier.</summary>
    Cancel = 4,
}
