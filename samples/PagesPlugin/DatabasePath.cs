namespace PagesPlugin;

/// <summary>Where the pages' database is: <c>--db PATH</c> among the arguments, else <c>PAGES_DB</c>, else <c>pages.db</c> in the working directory.</summary>
internal static class DatabasePath
{
    /// <summary>The environment variable a host sets (PluginOptions.Environment) to place the database.</summary>
    public const string EnvironmentVariable = "PAGES_DB";

    /// <summary>The argument a host passes (PluginOptions.Arguments) before the path; it wins over the environment.</summary>
    public const string Argument = "--db";

    public const string Default = "pages.db";

    public static string Resolve(IReadOnlyList<string> args, string? environmentValue)
    {
        for (int i = 0; i < args.Count - 1; i++)
        {
            if (args[i] == Argument && args[i + 1].Length > 0)
            {
                return Path.GetFullPath(args[i + 1]);
            }
        }

        return Path.GetFullPath(string.IsNullOrEmpty(environmentValue) ? Default : environmentValue);
    }
}
