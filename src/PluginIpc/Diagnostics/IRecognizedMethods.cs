namespace PluginIpc;

/// <summary>The commands a channel recognizes as methods: those its peer may send that have a handler of their own.</summary>
internal interface IRecognizedMethods
{
    /// <summary>Returns what a handled request with command <paramref name="cmd"/> reports as <c>rpc.method</c>: the registered command, or <c>_OTHER</c>.</summary>
    string MethodOf(string cmd);
}
