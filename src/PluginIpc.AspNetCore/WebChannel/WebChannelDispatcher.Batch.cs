using System.Text.Json;
using PluginIpc.AspNetCore.Calls;
using PluginIpc.AspNetCore.Diagnostics;

namespace PluginIpc.AspNetCore.WebChannel;

/// <summary>The <c>batch</c> action: operations in order, each its own result, the whole response within <see cref="PluginGatewayOptions.MaxMessageBytes"/>.</summary>
internal sealed partial class WebChannelDispatcher
{
    private async Task<WebChannelOutcome> BatchAsync(string? pluginId, string? pageId, JsonElement data, string requestId, WebChannelClient client)
    {
        if (data.ValueKind != JsonValueKind.Object || !data.TryGetProperty("operations"u8, out JsonElement operations) || operations.ValueKind != JsonValueKind.Array)
        {
            return Invalid("data.operations", "batch takes data {operations: [{action, pluginId?, pageId?, data?}, ...]}.");
        }

        int count = operations.GetArrayLength();
        if (count is 0 or > MaxBatchOperations)
        {
            return Invalid("data.operations", $"A batch holds 1 to {MaxBatchOperations} operations; this one holds {count}.");
        }

        // The whole response stays within MaxMessageBytes: once the results would pass it, the operation that does gets an
        // error in place of its result and the rest do not run (room for their errors is kept all along).
        long room = _maxMessageBytes - EnvelopeBytes - 2 - count;
        var items = new List<byte[]>(count);
        bool full = false;
        int index = 0;
        foreach (JsonElement operation in operations.EnumerateArray())
        {
            if (full)
            {
                items.Add(_notRun);
                index++;
                continue;
            }

            byte[] item = await ItemAsync(operation, index, pluginId, pageId, requestId, client).ConfigureAwait(false);
            int after = count - ++index;
            if (item.Length + ((long)after * Math.Max(_dropped.Length, _notRun.Length)) > room)
            {
                (item, full) = (_dropped, true);
            }

            room -= item.Length;
            items.Add(item);
        }

        return WebChannelOutcome.Success(WebChannelWriter.Results(items));
    }

    private static byte[] BatchTooLarge(bool ran, int limit)
    {
        string message = ran
            ? $"This operation ran, but its result does not fit in the batch's response (at most {limit} bytes): run it alone."
            : $"Not run: the batch's response reached its size limit ({limit} bytes) before this operation.";
        using JsonDocument ranDetails = JsonDocument.Parse(ran ? "{\"ran\":true}" : "{\"ran\":false}");
        return WebChannelWriter.Item(WebChannelOutcome.Failure(WebChannelErrorCodes.PluginExecutionError, message, WebChannelErrorMapper.OriginalCode(ErrorCodes.PayloadTooLarge, ranDetails.RootElement)));
    }

    // One operation's result: whatever fails inside the gateway is that operation's error, never the whole batch's.
    private async Task<byte[]> ItemAsync(JsonElement operation, int index, string? pluginId, string? pageId, string requestId, WebChannelClient client)
    {
        try
        {
            return WebChannelWriter.Item(await OperationAsync(operation, index, pluginId, pageId, requestId, client).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (client.Closed.IsCancellationRequested)
        {
            return WebChannelWriter.Item(WebChannelOutcome.Failure(WebChannelErrorCodes.ShuttingDown, "Request cancelled: the connection is closing.", WebChannelErrorMapper.OriginalCode(ErrorCodes.Cancelled)));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            string? action = operation.ValueKind == JsonValueKind.Object && operation.TryGetProperty("action"u8, out JsonElement name) && name.ValueKind == JsonValueKind.String ? name.GetString() : null;
            GatewayLog.CallFailed(_logger, pluginId ?? string.Empty, $"batch[{index.ToString(System.Globalization.CultureInfo.InvariantCulture)}] {action}", ex);
            return WebChannelWriter.Item(WebChannelOutcome.Failure(WebChannelErrorCodes.Unknown, "Internal error.", WebChannelErrorMapper.OriginalCode(GatewayErrorCodes.Internal)));
        }
    }

    // One operation of a batch: the envelope's pluginId and pageId unless it names its own; a failure is its result alone.
    private Task<WebChannelOutcome> OperationAsync(JsonElement operation, int index, string? pluginId, string? pageId, string requestId, WebChannelClient client)
    {
        if (client.Closed.IsCancellationRequested)
        {
            return Task.FromResult(WebChannelOutcome.Failure(WebChannelErrorCodes.ShuttingDown, "Request cancelled: the connection is closing.", WebChannelErrorMapper.OriginalCode(ErrorCodes.Cancelled)));
        }

        WebChannelError? error = null;
        string field = $"data.operations[{index}]";
        if (operation.ValueKind != JsonValueKind.Object)
        {
            return Task.FromResult(Invalid(field, "An operation must be an object {action, pluginId?, pageId?, data?}."));
        }

        if (!WebChannelRequestReader.TryString(operation, "action", required: true, out string? action, ref error)
            || (operation.TryGetProperty("pluginId"u8, out _) && !WebChannelRequestReader.TryString(operation, "pluginId", required: false, out pluginId, ref error))
            || (operation.TryGetProperty("pageId"u8, out _) && !WebChannelRequestReader.TryString(operation, "pageId", required: false, out pageId, ref error)))
        {
            return Task.FromResult(WebChannelOutcome.Failure(error! with { Message = $"{field}: {error!.Message}" }));
        }

        operation.TryGetProperty("data"u8, out JsonElement data);
        return DispatchAsync(action!, pluginId, pageId, data.ValueKind == JsonValueKind.Null ? default : data, requestId + "#" + index.ToString(System.Globalization.CultureInfo.InvariantCulture), client, nested: true);
    }
}
