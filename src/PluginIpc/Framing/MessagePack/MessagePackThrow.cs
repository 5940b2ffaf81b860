using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using MessagePack;

namespace PluginIpc;

/// <summary>Raises the <see cref="ProtocolException"/>s of the <c>msgpack</c> framing.</summary>
/// <remarks>Every read error names the field and the byte offset of its type byte from the start of the chunk.</remarks>
internal static class MessagePackThrow
{
    private const string Prefix = "msgpack framing: ";

    [DoesNotReturn]
    public static void UnexpectedType(string field, long offset, string expected, byte code) =>
        throw new ProtocolException(string.Create(
            CultureInfo.InvariantCulture,
            $"{Prefix}{field} at offset {offset}: expected {expected}, found 0x{code:x2} ({Describe(code)})."));

    [DoesNotReturn]
    public static void NegativeInteger(string field, long offset, byte code, long value) =>
        throw new ProtocolException(string.Create(
            CultureInfo.InvariantCulture,
            $"{Prefix}{field} at offset {offset}: expected uint, found 0x{code:x2} ({Describe(code)}) with the negative value {value}."));

    [DoesNotReturn]
    public static void LengthOverLimit(string field, long offset, ulong length, int limit) =>
        throw new ProtocolException(string.Create(
            CultureInfo.InvariantCulture,
            $"{Prefix}{field} at offset {offset}: length {length} exceeds the limit of {limit} bytes."));

    [DoesNotReturn]
    public static void Invalid(string field, long offset, string problem) =>
        throw new ProtocolException(string.Create(CultureInfo.InvariantCulture, $"{Prefix}{field} at offset {offset}: {problem}"));

    [DoesNotReturn]
    public static void CannotWrite(string problem) =>
        throw new ProtocolException(Prefix + problem);

    /// <summary>Returns the error for an exception that MessagePack-CSharp's reader raised on <paramref name="field"/>.</summary>
    /// <remarks>The field reader checks every type byte and length before the library reads it, so this is a safety net.</remarks>
    public static ProtocolException Unreadable(string field, long offset, Exception exception) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{Prefix}{field} at offset {offset}: {exception.Message}"), exception);

    /// <summary>Gets the name of the type that <paramref name="code"/> starts, for error messages: MessagePack-CSharp's name for it.</summary>
    public static string Describe(byte code) =>
        code == MessagePackCode.NeverUsed ? "never used" : MessagePackCode.ToFormatName(code);
}
