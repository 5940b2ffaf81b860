namespace BusApp;

/// <summary>The topics by which the two hosts of <c>--redis</c> find each other through Redis before the demo starts.</summary>
internal static class PeerTopics
{
    /// <summary>Published by the orders host until the peer host answers: proves the orders host's messages reach the peer.</summary>
    public const string Ping = ":peer.ping";

    /// <summary>The peer host's answer, once its inventory plugin is ready (its text is the plugin's ready text): proves the way back.</summary>
    public const string Pong = ":peer.pong";
}
