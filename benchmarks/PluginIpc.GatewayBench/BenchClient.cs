using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Runtime;
using System.Text;

namespace PluginIpc.GatewayBench;

/// <summary>
/// The client process: (a) gateway JSON-RPC calls over one WebSocket, one at a time; (b) the same bytes through the raw
/// WebSocket echo; (c) direct Plugin calls, timed in the server (POST /bench/direct); (d) calls/s over 8 WebSockets with 16
/// calls in flight each. Each phase reads the server's allocated bytes and CPU (and the plugin's) before and after.
/// </summary>
internal static class BenchClient
{
    private const int Clients = 8;
    private const int InFlight = 16;
    private static readonly byte[] s_request = """{"jsonrpc":"2.0","id":1,"method":"echo/echo","params":["hello"]}"""u8.ToArray();
    private static readonly byte[] s_prefix = """{"jsonrpc":"2.0","id":"""u8.ToArray();
    private static readonly byte[] s_suffix = ""","method":"echo/echo","params":["hello"]}"""u8.ToArray();

    // What one /bench/stats request allocates in the server: taken off each phase's delta.
    private static long s_statsBytes;

    public static async Task<int> RunAsync(Uri server, int rounds, int calls, int seconds)
    {
        using var http = new HttpClient { BaseAddress = server };
        Uri gatewayUri = new UriBuilder(server) { Scheme = "ws", Path = "/plugins/ws" }.Uri;
        Uri rawUri = new UriBuilder(server) { Scheme = "ws", Path = "/raw" }.Uri;
        ClientWebSocket gateway = await ConnectAsync(gatewayUri);
        ClientWebSocket raw = await ConnectAsync(rawUri);
        ClientWebSocket[] many = await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => ConnectAsync(gatewayUri)));

        var a = new Phase("(a) gateway");
        var b = new Phase("(b) raw echo");
        var c = new Phase("(c) direct");
        var d = new Phase("(d) 8x16");
        var scratch = new Phase("warm-up");

        // Warm-up by time: at least 2 s of every phase, small ones, and on until a whole pass compiled no method in the client
        // or the server. Pinned, the JIT's background thread shares the one CPU: rounds that overlap it ran up to 2x slower.
        long warmUp = Stopwatch.GetTimestamp();
        long compiled = -1;
        int passes = 0;
        while (true)
        {
            await SequentialAsync(gateway, 200, scratch, gatewayAnswer: true);
            await SequentialAsync(raw, 200, scratch, gatewayAnswer: false);
            await DirectAsync(http, 200, scratch);
            await ThroughputAsync(many, TimeSpan.FromMilliseconds(300));
            passes++;
            long now = JitInfo.GetCompiledMethodCount() + (await StatsAsync(http)).ServerCompiled;
            TimeSpan elapsed = Stopwatch.GetElapsedTime(warmUp);
            if ((elapsed >= TimeSpan.FromSeconds(2) && now == compiled) || elapsed >= TimeSpan.FromSeconds(30))
            {
                Console.WriteLine($"warm-up {elapsed.TotalSeconds:F1} s ({passes} passes; the last compiled {(now == compiled ? "nothing" : "methods still")})");
                break;
            }

            compiled = now;
        }

        var overhead = new List<double>();
        for (int i = 0; i < 9; i++)
        {
            (long first, _, _, _) = await StatsAsync(http);
            (long second, _, _, _) = await StatsAsync(http);
            overhead.Add(second - first);
        }

        s_statsBytes = (long)Median(overhead);
        Console.WriteLine($"rounds={rounds} sequential calls/round={calls} throughput window={seconds}s clients={Clients}x{InFlight} request={s_request.Length}B; one stats request allocates {s_statsBytes} B in the server (taken off)");
        Console.WriteLine("round | (a) gateway p50 µs | (b) raw p50 | (c) direct p50 | a/(b+c) | (d) calls/s");
        for (int round = 1; round <= rounds; round++)
        {
            double pa = await MeasuredAsync(http, a, () => SequentialAsync(gateway, calls, a, gatewayAnswer: true));
            double pb = await MeasuredAsync(http, b, () => SequentialAsync(raw, calls, b, gatewayAnswer: false));
            double pc = await MeasuredAsync(http, c, () => DirectAsync(http, calls, c));
            double rate = await MeasuredAsync(http, d, () => ThroughputAsync(many, TimeSpan.FromSeconds(seconds)));
            Console.WriteLine($"{round} | {pa:F1} | {pb:F1} | {pc:F1} | {pa / (pb + pc):F2} | {rate:F0}");
        }

        double a50 = a.Percentile(0.5), b50 = b.Percentile(0.5), c50 = c.Percentile(0.5);
        double ratio = a50 / (b50 + c50);
        Console.WriteLine($"all samples | (a) p50 {a50:F1} p99 {a.Percentile(0.99):F1} | (b) p50 {b50:F1} p99 {b.Percentile(0.99):F1} | (c) p50 {c50:F1} p99 {c.Percentile(0.99):F1} µs");
        Console.WriteLine($"(d) calls/s median of rounds {Median(d.RoundValues):F0} (min {d.RoundValues.Min():F0}, max {d.RoundValues.Max():F0})");
        foreach (Phase phase in (Phase[])[a, b, c, d])
        {
            Console.WriteLine(phase.CostText());
        }

        Console.WriteLine($"gateway round trip / (raw echo + direct call) = {ratio:F2} (goal <= 1.3) {(ratio <= 1.3 ? "MET" : "MISSED")}");
        foreach (ClientWebSocket socket in (ClientWebSocket[])[gateway, raw, .. many])
        {
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
            socket.Dispose();
        }

        return 0;
    }

    private static async Task<ClientWebSocket> ConnectAsync(Uri uri)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(uri, CancellationToken.None);
        return socket;
    }

    /// <summary>Runs <paramref name="work"/> between two reads of the server's stats; adds the costs to <paramref name="phase"/>; returns the work's value (p50 µs, or calls/s).</summary>
    private static async Task<double> MeasuredAsync(HttpClient http, Phase phase, Func<Task<(double Value, long Calls, long? ServerBytes)>> work)
    {
        (long allocatedBefore, double serverBefore, double pluginBefore, _) = await StatsAsync(http);
        double clientBefore = ClientCpu();
        (double value, long calls, long? serverBytes) = await work();
        double clientAfter = ClientCpu();
        (long allocatedAfter, double serverAfter, double pluginAfter, _) = await StatsAsync(http);
        phase.Calls += calls;
        phase.ServerBytes += serverBytes ?? (allocatedAfter - allocatedBefore - s_statsBytes);
        phase.ClientCpu += clientAfter - clientBefore;
        phase.ServerCpu += serverAfter - serverBefore;
        phase.PluginCpu += pluginAfter - pluginBefore;
        phase.RoundValues.Add(value);
        return value;
    }

    private static async Task<(long Allocated, double ServerCpu, double PluginCpu, long ServerCompiled)> StatsAsync(HttpClient http)
    {
        string[] parts = (await http.GetStringAsync(new Uri("/bench/stats", UriKind.Relative))).Split(' ');
        return (long.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[1], CultureInfo.InvariantCulture), double.Parse(parts[2], CultureInfo.InvariantCulture), long.Parse(parts[3], CultureInfo.InvariantCulture));
    }

    private static double ClientCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalMicroseconds;
    }

    /// <summary>(a) or (b): <paramref name="calls"/> requests one after the other.</summary>
    private static async Task<(double, long, long?)> SequentialAsync(ClientWebSocket socket, int calls, Phase phase, bool gatewayAnswer)
    {
        byte[] buffer = new byte[4096];
        var samples = new double[calls];
        for (int i = 0; i < calls; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await socket.SendAsync(s_request, WebSocketMessageType.Text, true, CancellationToken.None);
            int count = await ReceiveAsync(socket, buffer);
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            if (i == 0)
            {
                Check(buffer.AsSpan(0, count), gatewayAnswer);
            }
        }

        phase.Samples.AddRange(samples);
        return (Median(samples), calls, null);
    }

    /// <summary>(c): the server times <paramref name="calls"/> direct Plugin calls and counts its allocations around them.</summary>
    private static async Task<(double, long, long?)> DirectAsync(HttpClient http, int calls, Phase phase)
    {
        using HttpResponseMessage response = await http.PostAsync(new Uri($"/bench/direct?calls={calls}", UriKind.Relative), null);
        response.EnsureSuccessStatusCode();
        string[] parts = (await response.Content.ReadAsStringAsync()).Trim().Trim('"').Split(' ');
        double[] samples = [.. parts.Skip(1).Select(p => double.Parse(p, CultureInfo.InvariantCulture))];
        phase.Samples.AddRange(samples);
        return (Median(samples), calls, long.Parse(parts[0], CultureInfo.InvariantCulture));
    }

    /// <summary>(d): every socket keeps <see cref="InFlight"/> calls going for <paramref name="window"/>; answers received in the window count.</summary>
    private static async Task<(double, long, long?)> ThroughputAsync(ClientWebSocket[] sockets, TimeSpan window)
    {
        long start = Stopwatch.GetTimestamp();
        long stopAt = start + (long)(window.TotalSeconds * Stopwatch.Frequency);
        long[] counts = await Task.WhenAll(sockets.Select(socket => Task.Run(() => KeepBusyAsync(socket, stopAt))));
        double seconds = (stopAt - start) / (double)Stopwatch.Frequency;
        long total = counts.Sum();
        return (total / seconds, total, null);
    }

    private static async Task<long> KeepBusyAsync(ClientWebSocket socket, long stopAt)
    {
        byte[] request = new byte[128];
        byte[] buffer = new byte[4096];
        long nextId = 1;
        int inFlight = 0;
        long answered = 0;
        for (; inFlight < InFlight; inFlight++)
        {
            await socket.SendAsync(Request(request, nextId++), WebSocketMessageType.Text, true, CancellationToken.None);
        }

        while (inFlight > 0)
        {
            int count = await ReceiveAsync(socket, buffer);
            inFlight--;
            Check(buffer.AsSpan(0, count), gatewayAnswer: true);
            if (Stopwatch.GetTimestamp() < stopAt)
            {
                answered++;
                await socket.SendAsync(Request(request, nextId++), WebSocketMessageType.Text, true, CancellationToken.None);
                inFlight++;
            }
        }

        return answered;
    }

    private static ReadOnlyMemory<byte> Request(byte[] buffer, long id)
    {
        s_prefix.CopyTo(buffer, 0);
        Utf8Formatter.TryFormat(id, buffer.AsSpan(s_prefix.Length), out int written);
        s_suffix.CopyTo(buffer, s_prefix.Length + written);
        return buffer.AsMemory(0, s_prefix.Length + written + s_suffix.Length);
    }

    private static async ValueTask<int> ReceiveAsync(ClientWebSocket socket, byte[] buffer)
    {
        int count = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException($"the server closed the WebSocket: {socket.CloseStatus} {socket.CloseStatusDescription}");
            }

            count += result.Count;
        }
        while (!result.EndOfMessage);
        return count;
    }

    private static void Check(ReadOnlySpan<byte> answer, bool gatewayAnswer)
    {
        bool ok = gatewayAnswer ? answer.IndexOf("\"result\":\"hello\""u8) >= 0 : answer.SequenceEqual(s_request);
        if (!ok)
        {
            throw new InvalidOperationException("unexpected answer: " + Encoding.UTF8.GetString(answer));
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
