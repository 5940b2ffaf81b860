namespace PluginIpc;

/// <summary>Sets the command of a <see cref="PluginContractAttribute"/> interface's method, instead of <c>{contract name}.{method name without "Async"}</c>.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class PluginMethodAttribute : Attribute
{
    /// <summary>Initializes the attribute.</summary>
    /// <param name="cmd">The method's command on the wire; it may not start with <c>cmd.</c>, which the protocol keeps for itself.</param>
    public PluginMethodAttribute(string cmd) => Cmd = cmd;

    /// <summary>Gets the method's command on the wire.</summary>
    public string Cmd { get; }
}
