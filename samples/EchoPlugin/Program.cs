// EchoPlugin: a small plugin executable used by the samples, the tests, the benchmarks and outside checks.
// Start it through a host (for example samples/HostApp); started by hand it says so on stderr and exits with code 1.
using System.Globalization;
using System.Text;
using EchoPlugin;
using Microsoft.Extensions.Logging;
using PluginIpc;
using Samples;

var options = new MainOptions { Name = "EchoPlugin" };
options.Metadata["version"] = "1.0";
options.Metadata["description"] = "Echoes, fails, sleeps and calls back on request.";

options.OnStart = (main, cancellationToken) =>
{
    main.CreateLogger("EchoPlugin").LogInformation("EchoPlugin started (process {ProcessId}).", Environment.ProcessId);
    return Task.CompletedTask;
};

// IGreeter (samples/GreeterContracts): a typed contract; PluginIpc's generator wrote its dispatcher. Hosts call it through plugin.GetProxy<IGreeter>().
options.AddTarget<IGreeter>(new Greeter("EchoPlugin"));

// echo: the answer is the request's buffer. It keeps nothing once answered, so a large request may come in a pooled array.
options.Handle("echo", PooledBuffer.LendTo(static (chunk, _, _) => ValueTask.FromResult(chunk.Buffer)));

// bench.allocated: the bytes this process has allocated so far (8 bytes, little-endian), so that benchmarks and tests can
// see what a call costs on the plugin's side.
options.Handle("bench.allocated", static (_, _, _) =>
    ValueTask.FromResult<ReadOnlyMemory<byte>>(BitConverter.GetBytes(GC.GetTotalAllocatedBytes(precise: true))));

// bench.move: a typed call (the default msgpack serializer), for the benchmarks: answers the point moved by the offsets.
options.Handle<MoveRequest, MovePoint>("bench.move", static (request, _) =>
    ValueTask.FromResult(new MovePoint(request.Point.X + request.Dx, request.Point.Y + request.Dy)));

// fail: answers the error code TEST_FAILURE with a message that contains the buffer's text.
options.Handle("fail", static (chunk, _, _) =>
    throw new RemoteException("TEST_FAILURE", "fail was asked to fail: " + Encoding.UTF8.GetString(chunk.Buffer.Span)));

// sleep: the buffer is a number of milliseconds in ASCII; answers "slept", or CANCELLED at once when the host cancels.
options.Handle("sleep", static async (chunk, _, cancellationToken) =>
{
    if (!int.TryParse(Encoding.ASCII.GetString(chunk.Buffer.Span), NumberStyles.None, CultureInfo.InvariantCulture, out int milliseconds))
    {
        throw new RemoteException(ErrorCodes.InvalidRequest, "sleep expects a number of milliseconds in ASCII.");
    }

    try
    {
        await Task.Delay(milliseconds, cancellationToken);
    }
    catch (OperationCanceledException)
    {
        throw new RemoteException(ErrorCodes.Cancelled, $"sleep was cancelled before {milliseconds} ms.");
    }

    return "slept"u8.ToArray();
});

// callback: calls the host's Repeat with the buffer and answers with the host's answer.
options.Handle("callback", static async (chunk, channel, cancellationToken) =>
    await channel.CallAsync("Repeat", chunk.Buffer, cancellationToken));

// notify: sends the host a one-way Notified with the buffer, then answers empty.
options.Handle("notify", static async (chunk, channel, cancellationToken) =>
{
    await channel.NotifyAsync("Notified", chunk.Buffer, cancellationToken);
    return ReadOnlyMemory<byte>.Empty;
});

// stdout: writes the buffer's text to Console.Out (which never reaches the channel) and answers empty.
options.Handle("stdout", static (chunk, _, _) =>
{
    Console.Out.WriteLine(Encoding.UTF8.GetString(chunk.Buffer.Span));
    Console.Out.Flush();
    return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
});

// crash: exits at once with code 3, without answering.
options.Handle("crash", static (_, _, _) =>
{
    Environment.Exit(3);
    return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
});

return await Main.RegisterAsync(options);
