using Microsoft.Extensions.Options;

namespace PluginIpc;

/// <summary>
/// Checks the named <see cref="PluginOptions"/> of each registered plugin, so that invalid settings fail where options are
/// validated: at the plugin's start, or at the application's start for plugins whose options are validated on start.
/// </summary>
/// <remarks>Each failure names the plugin and the setting. Options of names that are not registered plugins are skipped.</remarks>
internal sealed class PluginOptionsValidator : IValidateOptions<PluginOptions>
{
    private readonly HashSet<string> _registered;

    public PluginOptionsValidator(IEnumerable<PluginRegistration> registrations) =>
        _registered = new HashSet<string>(registrations.Select(registration => registration.Name), StringComparer.Ordinal);

    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, PluginOptions options)
    {
        if (name is null || !_registered.Contains(name))
        {
            return ValidateOptionsResult.Skip;
        }

        List<string> problems = GetProblems(options);
        return problems.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(problems.Select(problem => $"Plugin '{name}': {problem}"));
    }

    /// <summary>Returns what is wrong with <paramref name="options"/>, including an executable path that names no file.</summary>
    internal static List<string> GetProblems(PluginOptions options)
    {
        List<string> problems = options.GetProblems();
        if (!string.IsNullOrWhiteSpace(options.ExecutablePath) && PluginPaths.IsPath(options.ExecutablePath))
        {
            string executable = PluginPaths.ResolveExecutable(options.ExecutablePath, PluginPaths.ResolveWorkingDirectory(options.WorkingDirectory));
            if (!File.Exists(executable))
            {
                problems.Add($"PluginOptions.ExecutablePath '{options.ExecutablePath}' names no file: '{executable}' does not exist (relative paths start at the working directory, which defaults to the application's base directory {PluginPaths.BaseDirectory}).");
            }
        }

        return problems;
    }
}
