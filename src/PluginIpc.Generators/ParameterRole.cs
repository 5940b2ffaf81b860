namespace PluginIpc.Generators;

/// <summary>What a contract method's parameter is on the wire.</summary>
internal enum ParameterRole
{
    /// <summary>An argument, serialized.</summary>
    Value,

    /// <summary>The <c>IProgress&lt;T&gt;</c>: a token on the wire, reports back to the caller.</summary>
    Progress,

    /// <summary>The <c>CancellationToken</c>: not on the wire, it cancels the call.</summary>
    CancellationToken,
}
