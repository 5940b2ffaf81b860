namespace PluginIpc;

/// <summary>
/// The one rule for relative paths of a plugin: its working directory is relative to the application's base directory
/// (<see cref="AppContext.BaseDirectory"/>) and defaults to it; its executable, when given as a path, is relative to its
/// working directory, and so are the arguments the plugin itself opens.
/// </summary>
/// <remarks>Plugin folders are relative to the base directory too; a manifest's plugin runs in its own folder.</remarks>
internal static class PluginPaths
{
    /// <summary>Gets the directory relative paths start from: the application's base directory.</summary>
    public static string BaseDirectory => AppContext.BaseDirectory;

    /// <summary>Returns the absolute working directory: <paramref name="workingDirectory"/> against the base directory, or the base directory.</summary>
    public static string ResolveWorkingDirectory(string? workingDirectory) =>
        string.IsNullOrEmpty(workingDirectory) ? Path.GetFullPath(BaseDirectory) : Path.GetFullPath(workingDirectory, BaseDirectory);

    /// <summary>Returns the executable as an absolute path when it is a path, or unchanged when it is a bare program name for the PATH lookup.</summary>
    public static string ResolveExecutable(string executable, string workingDirectory) =>
        IsPath(executable) ? Path.GetFullPath(executable, workingDirectory) : executable;

    /// <summary>Returns the absolute plugin folder for <paramref name="folder"/>, relative to the base directory.</summary>
    public static string ResolveFolder(string folder) => Path.GetFullPath(folder, BaseDirectory);

    /// <summary>Gets a value indicating whether <paramref name="executable"/> names a file by path rather than a program on PATH.</summary>
    public static bool IsPath(string executable) =>
        Path.IsPathRooted(executable) || executable.Contains('/', StringComparison.Ordinal) || executable.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
