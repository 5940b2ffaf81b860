using System.Text.Json;

namespace PluginIpc;

/// <content>
/// Starting one plugin process (launch, channel, handshake), making it the current one, and stopping it.
/// </content>
public sealed partial class Plugin
{
    private async Task<PluginInstance> LaunchAsync(CancellationToken cancellationToken)
    {
        IConnectedPlugin connected = await PluginConnectors.For(_options.Transport)
            .ConnectAsync(_options.ToStartInfo(OnOutputLine), _processLogger, cancellationToken).ConfigureAwait(false);
        var channel = new Channel(connected.Input, connected.Output, CreateFramer(), ChannelOptions.From(_options, Name, _options.StopTimeout, _options.LoggerFactory));
        var instance = new PluginInstance(connected, channel, _options.TimeProvider.GetUtcNow());
        channel.CloseReasonResolver = reason => ResolveExitAsync(instance, reason);
        channel.Handlers = _handlers;
        channel.Owner = this;
        channel.Start();
        try
        {
            Chunk answer = await channel.CallAsync(new Chunk { Cmd = Commands.GetMetadata }, _options.StartTimeout, cancellationToken).ConfigureAwait(false);
            instance.Metadata = ParseMetadata(answer.Buffer.Span);
            return instance;
        }
        catch (Exception ex)
        {
            await instance.DisposeAsync().ConfigureAwait(false);
            if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            string reason = ex is ChannelClosedException { InnerException: PluginExitedException exited } ? exited.Message : ex.Message;
            if (connected.HasExited)
            {
                // Kept for the plugin's exit history (a dashboard shows why it never ran); not an Exited event, as it never ran.
                _history.AddExit(new PluginExit(_options.TimeProvider.GetUtcNow(), connected.ProcessId, await connected.Exited.ConfigureAwait(false), expected: false, reason));
            }

            string tail = connected.StderrTail;
            string message = $"Plugin '{Name}' ({_options.ExecutablePath}) failed to start: {reason}";
            if (tail.Length > 0 && !message.Contains(tail, StringComparison.Ordinal))
            {
                message += $"{Environment.NewLine}Last stderr lines:{Environment.NewLine}{tail}";
            }

            throw new PluginStartException(message, ex);
        }
    }

    private Dictionary<string, string> ParseMetadata(ReadOnlySpan<byte> json)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            var reader = new Utf8JsonReader(json);
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ProtocolException($"GetMetadata answered a JSON {document.RootElement.ValueKind}, not an object.");
            }

            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                metadata[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
            }
        }
        catch (JsonException ex)
        {
            throw new ProtocolException($"GetMetadata answered something that is not JSON: {ex.Message}", ex);
        }

        if (metadata.TryGetValue("protocol", out string? protocol) && protocol != LaunchVariables.ProtocolVersion)
        {
            throw new ProtocolException($"Plugin '{Name}' speaks protocol {protocol}; this host speaks {LaunchVariables.ProtocolVersion}.");
        }

        return metadata;
    }

    private IChunkFramer CreateFramer() =>
        FramerRegistry.Create(_options.Framer, _options.FramerOptions);

    private void BecomeRunning(PluginInstance instance)
    {
        instance.IsReady = true;
        Volatile.Write(ref _metadata, instance.Metadata);

        // Supervision first: a call that finds this instance's channel closed waits for it. It cannot take the instance
        // over before _current is set: that needs the lifecycle lock, which the caller holds.
        instance.Supervision = SuperviseAsync(instance);
        Volatile.Write(ref _current, instance);
        SetState(PluginState.Running, null);
        Volatile.Read(ref _ready).TrySetResult();
        PluginLog.Started(_logger, Name, instance.Process.ProcessId, _options.Framer, _options.Transport);
    }

    private async Task StopInstanceAsync(PluginInstance instance, CancellationToken cancellationToken)
    {
        try
        {
            // One deadline for both: cmd.stop to a plugin that stopped reading waits for room in its pipe, and the token may be none.
            Task stopped = SendStopThenAwaitExitAsync(instance, cancellationToken);
            stopped.Forget();
            await stopped.WaitAsync(_options.StopTimeout, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or ChannelClosedException or ProtocolException)
        {
            PluginLog.StopTimedOut(_logger, Name, instance.Process.ProcessId, _options.StopTimeout);
        }

        await instance.DisposeAsync().ConfigureAwait(false);
        if (instance.Supervision is { } supervision)
        {
            await supervision.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        RaiseExited(instance.Process.ProcessId, instance.Process.HasExited ? await instance.Process.Exited.ConfigureAwait(false) : -1, expected: true);
    }

    private static async Task SendStopThenAwaitExitAsync(PluginInstance instance, CancellationToken cancellationToken)
    {
        await instance.Channel.NotifyAsync(Commands.Stop, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        await instance.Process.Exited.ConfigureAwait(false);
    }
}
