using System.Text;
using System.Text.Json;
using PluginIpc;

/// <summary>
/// Mode <c>webchannel [name=N] [events=a,b] [log=PATH] [serializer=NAME]</c>: a Main plugin (json serializer; with serializer=,
/// the json serializer announced under another name, a format the gateway does not convert) that the gateway's WebChannel
/// envelope reaches. It records, in order, each lifecycle message (onInit, onPageReady, onDataChanged, onBeforeDestroy,
/// onDestroy), each event it declares (metadata <c>webchannel.events</c>, default <c>auto_save,page_switch,custom_event</c>) and
/// each <c>sys.config.changed</c>, as <c>"{cmd} {payload JSON}"</c> (with log, also appended as a line to that file at once).
/// Commands (JSON in, JSON out): <c>echo</c> answers its value; <c>seen</c> {count} waits until that many records exist and
/// answers them; <c>raise</c> {code, message, details?} fails with that RemoteException; <c>throw</c> fails with an exception;
/// <c>count</c> answers how many times it ran; <c>gate.wait</c> waits until <c>gate.open</c> and answers how many times it ran;
/// <c>slow</c> {ms} waits that long; <c>fill</c> {bytes} answers a string of that many x; <c>headers</c> answers the request's headers; <c>crash</c> exits with code 3; the events with a pluginId are calls too.
/// </summary>
internal static class WebChannelPlugin
{
    public static async Task<int> RunAsync(string[] args)
    {
        string name = Value(args, "name") ?? "WebChannelPlugin";
        string events = Value(args, "events") ?? "auto_save,page_switch,custom_event";
        string? log = Value(args, "log");
        string? serializer = Value(args, "serializer");
        var records = new List<string>();
        TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        int counted = 0;
        int gateRuns = 0;
        TaskCompletionSource gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

        void Record(string cmd, ReadOnlySpan<byte> payload)
        {
            string line = cmd + " " + (payload.IsEmpty ? "-" : Encoding.UTF8.GetString(payload));
            TaskCompletionSource previous;
            lock (records)
            {
                records.Add(line);
                if (log is not null)
                {
                    File.AppendAllText(log, line + "\n");
                }

                previous = changed;
                changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            previous.TrySetResult();
        }

        var options = new MainOptions
        {
            Name = name,
            Serializer = serializer is null ? new JsonPluginSerializer() : new NamedJsonSerializer(serializer),
            OnConfigChanged = (_, message, _) =>
            {
                Record("sys.config.changed", message.Payload.Span);
                return Task.CompletedTask;
            },
        };
        options.Metadata["webchannel.events"] = events;
        foreach (string cmd in new[] { "onInit", "onPageReady", "onDataChanged", "onBeforeDestroy", "onDestroy" }.Concat(events.Split(',')))
        {
            options.Handle(cmd, (chunk, _, _) =>
            {
                Record(chunk.Cmd, chunk.Buffer.Span);
                return ValueTask.FromResult(Json("true"));
            });
        }

        options.Handle("echo", (chunk, _, _) => ValueTask.FromResult(chunk.Buffer.IsEmpty ? Json("\"(empty)\"") : chunk.Buffer));
        options.Handle("seen", async (chunk, _, cancellationToken) =>
        {
            int count = JsonDocument.Parse(chunk.Buffer).RootElement.GetProperty("count").GetInt32();
            while (true)
            {
                Task next;
                lock (records)
                {
                    if (records.Count >= count)
                    {
                        return Json(JsonSerializer.Serialize(records));
                    }

                    next = changed.Task;
                }

                await next.WaitAsync(cancellationToken);
            }
        });
        options.Handle("raise", (chunk, _, _) =>
        {
            JsonElement error = JsonDocument.Parse(chunk.Buffer).RootElement;
            JsonElement? details = error.TryGetProperty("details", out JsonElement d) ? d.Clone() : null;
            throw new RemoteException(error.GetProperty("code").GetString()!, error.GetProperty("message").GetString()!, details);
        });
        options.Handle("throw", (_, _, _) => throw new InvalidOperationException("the handler failed"));
        options.Handle("count", (_, _, _) => ValueTask.FromResult(Json(Interlocked.Increment(ref counted).ToString(System.Globalization.CultureInfo.InvariantCulture))));
        options.Handle("gate.wait", async (_, _, cancellationToken) =>
        {
            int run = Interlocked.Increment(ref gateRuns);
            await gate.Task.WaitAsync(cancellationToken);
            return Json(run.ToString(System.Globalization.CultureInfo.InvariantCulture));
        });
        options.Handle("gate.open", (_, _, _) =>
        {
            gate.TrySetResult();
            return ValueTask.FromResult(Json("true"));
        });
        options.Handle("slow", async (chunk, _, cancellationToken) =>
        {
            await Task.Delay(JsonDocument.Parse(chunk.Buffer).RootElement.GetProperty("ms").GetInt32(), cancellationToken);
            return Json("true");
        });
        options.Handle("fill", (chunk, _, _) =>
        {
            int bytes = JsonDocument.Parse(chunk.Buffer).RootElement.GetProperty("bytes").GetInt32();
            return ValueTask.FromResult(Json("\"" + new string('x', bytes) + "\""));
        });
        options.Handle("crash", (_, _, _) =>
        {
            Environment.Exit(3);
            return ValueTask.FromResult(Json("false"));
        });
        options.Handle("headers", (chunk, _, _) => ValueTask.FromResult(Json(JsonSerializer.Serialize(chunk.Headers ?? new Dictionary<string, string>()))));
        return await Main.RegisterAsync(options);
    }

    private static ReadOnlyMemory<byte> Json(string json) => Encoding.UTF8.GetBytes(json);

    private static string? Value(string[] args, string key) =>
        args.FirstOrDefault(a => a.StartsWith(key + "=", StringComparison.Ordinal)) is { } arg ? arg[(key.Length + 1)..] : null;

    // The json serializer under another name: what a plugin with a format the gateway does not know announces.
    private sealed class NamedJsonSerializer(string name) : IPluginSerializer
    {
        private readonly JsonPluginSerializer _json = new();

        public string Name => name;

        public void Serialize<T>(System.Buffers.IBufferWriter<byte> writer, T value) => _json.Serialize(writer, value);

        public T Deserialize<T>(ReadOnlyMemory<byte> buffer) => _json.Deserialize<T>(buffer);

        public void WriteArrayStart(System.Buffers.IBufferWriter<byte> writer, int length) => _json.WriteArrayStart(writer, length);

        public void WriteArraySeparator(System.Buffers.IBufferWriter<byte> writer) => _json.WriteArraySeparator(writer);

        public void WriteArrayEnd(System.Buffers.IBufferWriter<byte> writer) => _json.WriteArrayEnd(writer);

        public int ReadArray(ReadOnlyMemory<byte> buffer, Span<Range> items) => _json.ReadArray(buffer, items);
    }
}
