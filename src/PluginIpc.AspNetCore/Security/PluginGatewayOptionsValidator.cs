using Microsoft.Extensions.Options;

namespace PluginIpc.AspNetCore.Security;

/// <summary>Checks <see cref="PluginGatewayOptions"/> when they are first used (and at start), naming the option that is wrong.</summary>
internal sealed class PluginGatewayOptionsValidator : IValidateOptions<PluginGatewayOptions>
{
    private const int MaxMessageBytesLimit = 1024 * 1024 * 1024; // a message is gathered in one array, one byte past the limit

    public ValidateOptionsResult Validate(string? name, PluginGatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.MaxMessageBytes is < 64 or > MaxMessageBytesLimit)
        {
            failures.Add($"PluginGatewayOptions.MaxMessageBytes must be from 64 to {MaxMessageBytesLimit} (is {options.MaxMessageBytes}).");
        }

        if (options.MaxCallsInFlightPerConnection < 1)
        {
            failures.Add($"PluginGatewayOptions.MaxCallsInFlightPerConnection must be at least 1 (is {options.MaxCallsInFlightPerConnection}).");
        }

        if (options.MaxConcurrentCalls < 1)
        {
            failures.Add($"PluginGatewayOptions.MaxConcurrentCalls must be at least 1 (is {options.MaxConcurrentCalls}).");
        }

        if (options.MaxConnections < 1)
        {
            failures.Add($"PluginGatewayOptions.MaxConnections must be at least 1 (is {options.MaxConnections}).");
        }

        if (options.MaxSendQueueMessages < 1)
        {
            failures.Add($"PluginGatewayOptions.MaxSendQueueMessages must be at least 1 (is {options.MaxSendQueueMessages}).");
        }

        if (options.MaxSendQueueBytes < options.MaxMessageBytes)
        {
            failures.Add($"PluginGatewayOptions.MaxSendQueueBytes must be at least MaxMessageBytes ({options.MaxMessageBytes}; is {options.MaxSendQueueBytes}).");
        }

        if (options.IdleTimeout <= TimeSpan.Zero && options.IdleTimeout != Timeout.InfiniteTimeSpan)
        {
            failures.Add($"PluginGatewayOptions.IdleTimeout must be positive or Timeout.InfiniteTimeSpan (is {options.IdleTimeout}).");
        }

        if (options.CallTimeout is { } callTimeout && callTimeout <= TimeSpan.Zero && callTimeout != Timeout.InfiniteTimeSpan)
        {
            failures.Add($"PluginGatewayOptions.CallTimeout must be positive, Timeout.InfiniteTimeSpan or null (is {callTimeout}).");
        }

        if (options.RequestIdWindow < TimeSpan.Zero)
        {
            failures.Add($"PluginGatewayOptions.RequestIdWindow must be zero (off) or positive (is {options.RequestIdWindow}).");
        }

        if (options.DashboardBearerToken is { } dashboardToken)
        {
            if (dashboardToken.Length < 16 || dashboardToken.Any(char.IsWhiteSpace))
            {
                failures.Add("PluginGatewayOptions.DashboardBearerToken must be at least 16 characters with no white space.");
            }

            if (dashboardToken == options.BearerToken)
            {
                failures.Add("PluginGatewayOptions.DashboardBearerToken must differ from BearerToken: the gateway's clients must not get the dashboard's control of plugins.");
            }
        }

        if (options.BearerToken is { } token && (token.Length < 16 || token.Any(char.IsWhiteSpace)))
        {
            failures.Add("PluginGatewayOptions.BearerToken must be at least 16 characters with no white space.");
        }

        foreach (string origin in options.AllowedOrigins)
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out Uri? uri) || uri.AbsolutePath != "/" || origin.EndsWith('/'))
            {
                failures.Add($"PluginGatewayOptions.AllowedOrigins: '{origin}' is not an origin (scheme://host[:port], no path).");
            }
        }

        foreach (string topic in options.AllowedTopics)
        {
            if (string.IsNullOrEmpty(topic) || topic.Any(char.IsControl))
            {
                failures.Add($"PluginGatewayOptions.AllowedTopics: '{topic}' is not a topic or pattern.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
