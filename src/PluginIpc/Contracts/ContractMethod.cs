using System.ComponentModel;

namespace PluginIpc.Contracts;

/// <summary>One method of a contract, as the source generator describes it.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ContractMethod
{
    /// <summary>Initializes the description of a method. For generated code.</summary>
    /// <param name="name">The method's name in the interface.</param>
    /// <param name="cmd">Its command on the wire.</param>
    /// <param name="signature">Its shape, as the handshake compares it: command, argument types and result.</param>
    /// <param name="argumentCount">How many arguments go on the wire (the cancellation token does not).</param>
    /// <param name="features">Whether it streams and whether it reports progress.</param>
    public ContractMethod(string name, string cmd, string signature, int argumentCount, ContractMethodFeatures features)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(cmd);
        ArgumentException.ThrowIfNullOrEmpty(signature);
        ArgumentOutOfRangeException.ThrowIfNegative(argumentCount);
        Name = name;
        Cmd = cmd;
        Signature = signature;
        ArgumentCount = argumentCount;
        Features = features;
        SignatureHash = ContractShape.Hash(signature);
    }

    /// <summary>Gets the method's name in the interface.</summary>
    public string Name { get; }

    /// <summary>Gets the method's command on the wire.</summary>
    public string Cmd { get; }

    /// <summary>Gets the method's shape, such as <c>IGreeter.Move(Samples.Point,int,int):Samples.Point</c>.</summary>
    public string Signature { get; }

    /// <summary>Gets how many arguments go on the wire.</summary>
    public int ArgumentCount { get; }

    /// <summary>Gets whether the method streams and whether it reports progress.</summary>
    public ContractMethodFeatures Features { get; }

    /// <summary>Gets the hash of <see cref="Signature"/> that the handshake carries.</summary>
    internal uint SignatureHash { get; }

    /// <summary>Gets a value indicating whether the method returns a stream.</summary>
    internal bool IsStream => (Features & ContractMethodFeatures.Stream) != 0;

    /// <summary>Gets how many values the request's array holds: the arguments, and a stream's first window.</summary>
    internal int WireArgumentCount => IsStream ? ArgumentCount + 1 : ArgumentCount;
}
