// FloorEcho: the "no library" floor of the benchmarks. It echoes frames of a 4-byte little-endian length and a payload,
// reading from and writing to two anonymous pipes passed the way PluginIpc passes them: inherited descriptors named in
// PLUGINIPC_IN_FD and PLUGINIPC_OUT_FD, or stdin and stdout when those are not set. Reads are buffered; each answer is one
// write, the naive way. It exits when its input ends.
using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

string? inFd = Environment.GetEnvironmentVariable("PLUGINIPC_IN_FD");
string? outFd = Environment.GetEnvironmentVariable("PLUGINIPC_OUT_FD");
Stream input, output;
if (inFd is not null && outFd is not null)
{
    input = new FileStream(new SafeFileHandle(int.Parse(inFd, System.Globalization.CultureInfo.InvariantCulture), ownsHandle: true), FileAccess.Read, bufferSize: 0);
    output = new FileStream(new SafeFileHandle(int.Parse(outFd, System.Globalization.CultureInfo.InvariantCulture), ownsHandle: true), FileAccess.Write, bufferSize: 0);
}
else
{
    input = Console.OpenStandardInput();
    output = Console.OpenStandardOutput();
}

using var reader = new BufferedStream(input, 64 * 1024);
byte[] frame = new byte[64 * 1024];
while (true)
{
    try
    {
        reader.ReadExactly(frame, 0, 4);
    }
    catch (EndOfStreamException)
    {
        return 0;
    }

    int length = BinaryPrimitives.ReadInt32LittleEndian(frame);
    if (length < 0 || length > 64 * 1024 * 1024)
    {
        Console.Error.WriteLine($"FloorEcho: bad frame length {length}.");
        return 2;
    }

    if (frame.Length < 4 + length)
    {
        byte[] larger = new byte[4 + length];
        frame.AsSpan(0, 4).CopyTo(larger);
        frame = larger;
    }

    reader.ReadExactly(frame, 4, length);
    output.Write(frame, 0, 4 + length);
}
