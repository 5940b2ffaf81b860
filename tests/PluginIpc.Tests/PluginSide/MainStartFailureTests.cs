using System.IO.Pipelines;

namespace PluginIpc.Tests.PluginSide;

/// <summary>A plugin whose start hook fails refuses its handshake: its host never counts it as running.</summary>
[TestFixtureSource(typeof(Framers), nameof(Framers.Names))]
public sealed class MainStartFailureTests(string framer)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [Test, CancelAfter(30_000)]
    public async Task StartHookFails_GetMetadataIsAnsweredShuttingDown_AndTheRunEndsWithCode1(CancellationToken cancellationToken)
    {
        var toPlugin = new Pipe();
        var toHost = new Pipe();
        var options = new MainOptions
        {
            Name = "broken",
            HostPingInterval = Timeout.InfiniteTimeSpan,
            OnStart = (_, _) => throw new InvalidOperationException("no database"),
        };
        await using var host = new PluginIpc.Channel(toHost.Reader.AsStream(), toPlugin.Writer.AsStream(), Framers.Create(framer));
        host.Start();
        Task<string> handshake = host.CallAsync(Commands.GetMetadata, string.Empty, cancellationToken); // waits for the start, as a host's does
        Task<int> running = Main.RunAsync(options, toPlugin.Reader.AsStream(), toHost.Writer.AsStream(), Framers.Create(framer), cancellationToken);

        RemoteException? refused = await Failure.ThrowsAsync<RemoteException>(() => handshake.WaitAsync(s_timeout, cancellationToken));
        Assert.That(refused!.Code, Is.EqualTo(ErrorCodes.ShuttingDown));
        Assert.That(refused.Message, Does.Contain("did not start").And.Contain(Commands.GetMetadata));
        Assert.That(await running.WaitAsync(s_timeout, cancellationToken), Is.EqualTo(1));
    }
}
