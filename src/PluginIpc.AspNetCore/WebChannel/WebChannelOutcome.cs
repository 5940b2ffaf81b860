namespace PluginIpc.AspNetCore.WebChannel;

/// <summary>What one action (or one batch operation) gave: its data as one UTF-8 JSON value, or an error.</summary>
internal readonly struct WebChannelOutcome
{
    private WebChannelOutcome(byte[]? data, WebChannelError? error)
    {
        Data = data;
        Error = error;
    }

    /// <summary>Gets the data (one UTF-8 JSON value) of a success.</summary>
    public byte[]? Data { get; }

    /// <summary>Gets the error of a failure.</summary>
    public WebChannelError? Error { get; }

    /// <summary>
    /// Gets whether a repeat of the request may be given this outcome instead of running: a success (a batch's too, whatever its
    /// operations gave: a repeat must not run those that succeeded again) or a data error the plugin raised (E1xxx). Anything else
    /// (did not run, plugin restarting, timeout, cancelled) may turn out otherwise on a retry.
    /// </summary>
    public bool Keep => Error is not { } error || IsDataError(error.Code);

    public static WebChannelOutcome Success(byte[] data) => new(data, null);

    public static WebChannelOutcome Failure(WebChannelError error) => new(null, error);

    public static WebChannelOutcome Failure(string code, string message, System.Text.Json.JsonElement? details = null) => new(null, new WebChannelError(code, message, details));

    private static bool IsDataError(string code) => WebChannelErrorCodes.IsProtocolCode(code) && code[1] == '1';
}
