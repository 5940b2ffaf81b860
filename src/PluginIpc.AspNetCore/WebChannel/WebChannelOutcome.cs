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

    public static WebChannelOutcome Success(byte[] data) => new(data, null);

    public static WebChannelOutcome Failure(WebChannelError error) => new(null, error);

    public static WebChannelOutcome Failure(string code, string message, System.Text.Json.JsonElement? details = null) => new(null, new WebChannelError(code, message, details));
}
