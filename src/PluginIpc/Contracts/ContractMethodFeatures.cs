namespace PluginIpc.Contracts;

/// <summary>What a contract method carries besides its arguments and result. For generated code.</summary>
[Flags]
public enum ContractMethodFeatures
{
    /// <summary>A call with one answer.</summary>
    None = 0,

    /// <summary>The method returns <see cref="IAsyncEnumerable{T}"/>: its answer is a stream of items.</summary>
    Stream = 1,

    /// <summary>The method takes an <see cref="IProgress{T}"/>: the callee reports to the caller while it runs.</summary>
    Progress = 2,
}
