using System.Text;
using System.Text.Json;
using PluginIpc.Contracts;
using PluginIpc.Tests.Channel;
using Samples;

namespace PluginIpc.Tests.TypedContracts;

/// <summary>
/// The contract vectors (Vectors/contracts.json, docs/PROTOCOL.md section 8): every message of the samples' IGreeter, byte
/// for byte, as the generated proxy writes them and as the generated dispatcher answers them.
/// </summary>
[TestFixture("msgpack")]
[TestFixture("json")]
public sealed class ContractVectorTests(string format)
{
    [Test, CancelAfter(20_000)]
    public async Task Proxy_WritesTheVectorsRequests_AndReadsTheirAnswers(CancellationToken cancellationToken)
    {
        Dictionary<string, byte[]> vectors = Load();
        var requests = new List<(string Cmd, byte[] Buffer)>();
        await using ChannelPair pair = CreatePair();
        pair.Plugin.HandleFallback(async (chunk, peer, token) =>
        {
            requests.Add((chunk.Cmd, chunk.Buffer.ToArray()));
            string name = chunk.Cmd switch
            {
                "IGreeter.Hello" => "Hello response",
                "IGreeter.Move" => "Move response",
                "IGreeter.Count" => "Count open response",
                "IGreeter.SumWithProgress" => "SumWithProgress response",
                _ => "Reset response",
            };
            if (chunk.Cmd == "IGreeter.SumWithProgress")
            {
                for (int report = 1; report <= 3; report++)
                {
                    await peer.NotifyAsync(Commands.Progress, vectors[$"SumWithProgress report {report}"], token);
                }
            }

            return vectors[name];
        });
        pair.Start();
        IGreeter greeter = pair.Host.GetProxy<IGreeter>();

        string hello = await greeter.HelloAsync("Ann", cancellationToken);
        Samples.Point moved = await greeter.MoveAsync(new Samples.Point(1, 2), 10, 20, cancellationToken);
        var counted = new List<int>();
        await foreach (int i in greeter.CountAsync(1, 3, cancellationToken))
        {
            counted.Add(i);
        }

        var reports = new RecordingProgress<int>();
        int sum = await greeter.SumWithProgressAsync([1, 2, 3], reports, cancellationToken);
        await greeter.ResetAsync(cancellationToken);

        Assert.That(requests.Select(r => r.Cmd), Is.EqualTo(new[] { "IGreeter.Hello", "IGreeter.Move", "IGreeter.Count", "IGreeter.SumWithProgress", "IGreeter.Reset" }));
        string[] names = ["Hello request", "Move request", "Count open request", "SumWithProgress request", "Reset request"];
        for (int i = 0; i < names.Length; i++)
        {
            Assert.That(Show(requests[i].Buffer), Is.EqualTo(Show(vectors[names[i]])), names[i]);
        }

        Assert.That((hello, moved, sum), Is.EqualTo(("Hello, Ann! (vectors, greeting #1)", new Samples.Point(11, 22), 6)));
        Assert.That(counted, Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(reports.Values, Is.EqualTo(new[] { 1, 3, 6 }));
    }

    [Test, CancelAfter(20_000)]
    public async Task Target_AnswersTheVectorsRequests_WithTheirAnswers(CancellationToken cancellationToken)
    {
        Dictionary<string, byte[]> vectors = Load();
        var reports = new List<byte[]>();
        var threeReports = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using ChannelPair pair = CreatePair();
        pair.Plugin.AddTarget<IGreeter>(new Greeter("vectors"));
        pair.Host.Handle(Commands.Progress, (chunk, _, _) =>
        {
            lock (reports)
            {
                reports.Add(chunk.Buffer.ToArray());
                if (reports.Count == 3)
                {
                    threeReports.TrySetResult();
                }
            }

            return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
        });
        pair.Start();

        foreach (string call in new[] { "Hello", "Move", "Count open", "SumWithProgress", "Reset" })
        {
            string cmd = "IGreeter." + call.Split(' ')[0];
            ReadOnlyMemory<byte> answer = await pair.Host.CallAsync(cmd, vectors[call + " request"], cancellationToken);
            Assert.That(Show(answer.ToArray()), Is.EqualTo(Show(vectors[call + " response"])), call);
        }

        await threeReports.Task.WaitAsync(cancellationToken);
        Assert.That(reports.Select(Show), Is.EqualTo(new[] { 1, 2, 3 }.Select(i => Show(vectors[$"SumWithProgress report {i}"]))));
    }

    [Test]
    public void StreamMessages_AndTheHandshakeShape_AreTheVectors()
    {
        Dictionary<string, byte[]> vectors = Load();
        IPluginSerializer serializer = format == "json" ? new JsonPluginSerializer() : new MessagePackPluginSerializer();
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(VectorsPath));

        Assert.That(Show(StreamMessages.Next(serializer, 1, 64).ToArray()), Is.EqualTo(Show(vectors["stream next request"])));
        Assert.That(Show(StreamMessages.End(serializer, 1).ToArray()), Is.EqualTo(Show(vectors["stream end"])));
        Assert.That(ContractRegistry.Get<IGreeter>().Shape, Is.EqualTo(document.RootElement.GetProperty("metadata").GetProperty("contract.IGreeter").GetString()));
        Assert.That(
            ContractRegistry.Get<IGreeter>().Methods.Select(m => m.Signature),
            Is.EqualTo(document.RootElement.GetProperty("signatures").EnumerateArray().Select(e => e.GetString())));
    }

    private static string VectorsPath => Path.Combine(TestContext.CurrentContext.TestDirectory, "Vectors", "contracts.json");

    private Dictionary<string, byte[]> Load()
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(VectorsPath));
        return document.RootElement.GetProperty(format).EnumerateArray().ToDictionary(
            e => e.GetProperty("name").GetString()!,
            e => format == "json" ? Encoding.UTF8.GetBytes(e.GetProperty("text").GetString()!) : Convert.FromHexString(e.GetProperty("hex").GetString()!));
    }

    private string Show(byte[] buffer) => format == "json" ? Encoding.UTF8.GetString(buffer) : Convert.ToHexString(buffer);

    private ChannelPair CreatePair()
    {
        IPluginSerializer? serializer = format == "json" ? new JsonPluginSerializer() : null;
        return ChannelPair.Create("msgpack", Transports.Memory, o => o.Serializer = serializer, o => o.Serializer = serializer);
    }
}
