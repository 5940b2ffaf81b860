using System.Buffers;
using System.ComponentModel;

namespace PluginIpc.Contracts;

/// <summary>
/// Writes a contract call's arguments, in order, as one array in the peer's serializer format. For generated code: get one
/// from <see cref="ContractClient.BeginCall"/>, write every argument, and pass it by reference to the client's call.
/// </summary>
/// <remarks>It writes into the calling thread's typed-call scratch buffer (<see cref="TypedPayload.RentScratch"/>), which the call copies out before it returns.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public struct ContractArgumentWriter
{
    private readonly IPluginSerializer _serializer;
    private readonly ArrayBufferWriter<byte> _buffer;
    private int _written;

    internal ContractArgumentWriter(IPluginSerializer serializer, int method, int count)
    {
        _serializer = serializer;
        Method = method;
        _buffer = TypedPayload.RentScratch();
        serializer.WriteArrayStart(_buffer, count);
    }

    /// <summary>Gets the index of the method being called.</summary>
    internal int Method { get; }

    /// <summary>Gets the progress object the caller passed, if any.</summary>
    internal ProgressSink? Progress { get; private set; }

    /// <summary>Gets the token written in place of <see cref="Progress"/>.</summary>
    internal long ProgressToken { get; private set; }

    /// <summary>Writes the next argument.</summary>
    /// <typeparam name="T">The parameter's declared type.</typeparam>
    /// <param name="value">The argument.</param>
    public void Write<T>(T value)
    {
        Separate();
        _serializer.Serialize(_buffer, value);
    }

    /// <summary>Writes a progress argument: a token that the callee's reports name, or nil when <paramref name="progress"/> is <see langword="null"/>.</summary>
    /// <typeparam name="T">The type of the reports.</typeparam>
    /// <param name="progress">The caller's progress object.</param>
    /// <param name="client">The client whose call this is.</param>
    public void WriteProgress<T>(IProgress<T>? progress, ContractClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        Separate();
        if (progress is null)
        {
            _serializer.Serialize<long?>(_buffer, null);
            return;
        }

        Progress = new ProgressSink<T>(progress, client.Descriptor.Methods[Method].Cmd);
        ProgressToken = client.Session.NewProgressToken(); // registered when the call goes out, so a failed write leaves nothing behind
        _serializer.Serialize(_buffer, ProgressToken);
    }

    /// <summary>Ends the array and copies it out of the scratch buffer.</summary>
    /// <param name="pooled">Whether into a body that the library's channels hand back once framed (see <see cref="TypedPayload.Serialize"/>).</param>
    internal ReadOnlyMemory<byte> Complete(bool pooled = false)
    {
        _serializer.WriteArrayEnd(_buffer);
        return TypedPayload.CopyOut(_buffer, pooled);
    }

    private void Separate()
    {
        if (_written++ > 0)
        {
            _serializer.WriteArraySeparator(_buffer);
        }
    }
}
