// StreamJsonRpcPeer: the other end of PeerBenchmarks. It serves IBenchService with StreamJsonRpc's JsonRpc over two
// anonymous pipes it inherits from the benchmark process, as PluginIpc's InheritedPipes transport gives a plugin two; their
// handles come on the command line: <formatter> <input handle> <output handle>. It exits when its input ends.
// Given "pluginipc", it is a PluginIpc plugin instead, serving the same interface through PluginIpc's generated dispatcher.
using System.IO.Pipes;
using PluginIpc;
using PluginIpc.Benchmarks;
using StreamJsonRpc;

if (args is ["pluginipc"])
{
    return await Main.RegisterAsync(new MainOptions { Name = "BenchPeer" }.AddTarget<IBenchService>(new BenchService()));
}

if (args.Length != 3)
{
    Console.Error.WriteLine("usage: PluginIpc.StreamJsonRpcPeer <MessagePack|NerdbankMessagePack|SystemTextJson> <input pipe handle> <output pipe handle>");
    return 1;
}

using var input = new AnonymousPipeClientStream(PipeDirection.In, args[1]);
using var output = new AnonymousPipeClientStream(PipeDirection.Out, args[2]);
using var rpc = new JsonRpc(PeerMessageHandlers.Create(args[0], output, input));
rpc.AddLocalRpcTarget<IBenchService>(new BenchService(), options: null);
rpc.StartListening();
try
{
    await rpc.Completion;
}
catch (Exception exception) when (exception is IOException or ObjectDisposedException or OperationCanceledException)
{
    // The benchmark process closed the pipes or exited.
}

return 0;
