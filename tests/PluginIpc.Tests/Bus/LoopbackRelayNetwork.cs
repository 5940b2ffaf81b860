namespace PluginIpc.Tests.Bus;

/// <summary>Relays that hand every frame to every member, the sender included, as one Redis channel does.</summary>
internal sealed class LoopbackRelayNetwork
{
    private readonly List<Member> _members = [];

    public PluginBusRelay Join()
    {
        var member = new Member(this);
        lock (_members)
        {
            _members.Add(member);
        }

        return member;
    }

    private void Broadcast(ReadOnlyMemory<byte> frame)
    {
        Member[] members;
        lock (_members)
        {
            members = [.. _members];
        }

        foreach (Member member in members)
        {
            member.Deliver(frame);
        }
    }

    private sealed class Member(LoopbackRelayNetwork network) : PluginBusRelay
    {
        public void Deliver(ReadOnlyMemory<byte> frame) => Receive(frame);

        protected internal override void Send(ReadOnlyMemory<byte> frame) => network.Broadcast(frame);

        protected internal override Task RunAsync(CancellationToken stopping) => Task.CompletedTask;
    }
}
