namespace PluginIpc.Generators;

/// <summary>What a contract method returns.</summary>
internal enum ResultKind
{
    /// <summary><c>Task</c>.</summary>
    Task,

    /// <summary><c>Task&lt;T&gt;</c>.</summary>
    TaskOfResult,

    /// <summary><c>ValueTask</c>.</summary>
    ValueTask,

    /// <summary><c>ValueTask&lt;T&gt;</c>.</summary>
    ValueTaskOfResult,

    /// <summary><c>IAsyncEnumerable&lt;T&gt;</c>.</summary>
    Stream,
}
