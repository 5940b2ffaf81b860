namespace PluginIpc.AspNetCore.Dashboard;

/// <summary>A client's log query is invalid; the message names the field and says what it takes.</summary>
internal sealed class LogQueryException(string message) : Exception(message);
