using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace PluginIpc;

/// <summary>Strict UTF-8 checks shared by the framers.</summary>
internal static class Utf8Text
{
    /// <summary>Returns the index of the first byte that makes <paramref name="utf8"/> invalid, or -1 if there is none.</summary>
    /// <param name="utf8">The bytes to check.</param>
    /// <param name="complete">
    /// <see langword="false"/> when more bytes may follow: a sequence cut short by the end is then not an error.
    /// </param>
    public static int FindInvalid(ReadOnlySpan<byte> utf8, bool complete = true)
    {
        if (Utf8.IsValid(utf8))
        {
            return -1;
        }

        int index = 0;
        while (index < utf8.Length)
        {
            OperationStatus status = Rune.DecodeFromUtf8(utf8[index..], out _, out int read);
            if (status == OperationStatus.Done)
            {
                index += read;
            }
            else
            {
                return status == OperationStatus.NeedMoreData && !complete ? -1 : index;
            }
        }

        return -1;
    }
}
