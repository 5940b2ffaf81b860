namespace PluginIpc.Tests.Bus;

/// <summary>
/// Relays that hand every frame to every member, the sender included, in order, as one Redis channel does; each member
/// receives on its own task, never on the sender's thread (which holds its bus's lock).
/// </summary>
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
            member.Inbox.Writer.TryWrite(frame.ToArray());
        }
    }

    private sealed class Member(LoopbackRelayNetwork network) : PluginBusRelay
    {
        public System.Threading.Channels.Channel<byte[]> Inbox { get; } = System.Threading.Channels.Channel.CreateUnbounded<byte[]>();

        protected internal override void Send(ReadOnlyMemory<byte> frame) => network.Broadcast(frame);

        protected internal override async Task RunAsync(CancellationToken stopping)
        {
            try
            {
                await foreach (byte[] frame in Inbox.Reader.ReadAllAsync(stopping))
                {
                    Receive(frame);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // the bus stopped
            }
        }
    }
}
