namespace PluginIpc;

/// <summary>One line that a plugin process wrote to stderr or, when it is free, to stdout; or one piece of a longer line.</summary>
/// <remarks>A line longer than the host's maximum arrives in marked pieces; see <see cref="BoundedLineReader"/>.</remarks>
/// <param name="Source">The stream the line came from.</param>
/// <param name="Text">The line, without its line break; a piece of a longer line includes its markers.</param>
/// <param name="IsContinuation">Whether this piece carries on the line of the previous piece from <paramref name="Source"/>.</param>
/// <param name="Continues">Whether the line goes on in the next piece from <paramref name="Source"/>.</param>
internal readonly record struct PluginOutputLine(PluginOutputSource Source, string Text, bool IsContinuation = false, bool Continues = false);
