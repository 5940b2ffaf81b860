using MessagePack;
using MessagePack.Formatters;

namespace PluginIpc;

/// <summary>
/// The formatter of <typeparamref name="T"/> last asked of a resolver: asking a resolver is a generic interface call, which
/// costs about as much as writing a small value. One per type; a serializer with another resolver replaces it.
/// </summary>
/// <typeparam name="T">The type formatted.</typeparam>
internal sealed class CachedFormatter<T>
{
    private static CachedFormatter<T>? s_last;

    private readonly IFormatterResolver _resolver;
    private readonly IMessagePackFormatter<T> _formatter;

    private CachedFormatter(IFormatterResolver resolver, IMessagePackFormatter<T> formatter)
    {
        _resolver = resolver;
        _formatter = formatter;
    }

    /// <summary>Returns <paramref name="resolver"/>'s formatter of <typeparamref name="T"/>.</summary>
    /// <exception cref="FormatterNotRegisteredException">The resolver has none.</exception>
    public static IMessagePackFormatter<T> Of(IFormatterResolver resolver)
    {
        CachedFormatter<T>? last = Volatile.Read(ref s_last);
        if (last is not null && ReferenceEquals(last._resolver, resolver))
        {
            return last._formatter;
        }

        IMessagePackFormatter<T> formatter = resolver.GetFormatterWithVerify<T>();
        Volatile.Write(ref s_last, new CachedFormatter<T>(resolver, formatter));
        return formatter;
    }
}
