namespace PluginIpc;

/// <summary>One line that a plugin process wrote to stderr or, when it is free, to stdout.</summary>
/// <param name="Source">The stream the line came from.</param>
/// <param name="Text">The line, without its line break.</param>
internal readonly record struct PluginOutputLine(PluginOutputSource Source, string Text);
