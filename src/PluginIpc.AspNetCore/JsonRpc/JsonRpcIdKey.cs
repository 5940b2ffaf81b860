using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;

namespace PluginIpc.AspNetCore.JsonRpc;

/// <summary>The key a request id is tracked under: equal ids give equal keys, whatever their JSON spelling.</summary>
/// <remarks>
/// <c>"a"</c> and <c>"\u0061"</c> are one id, as are <c>1</c>, <c>1.0</c> and <c>10e-1</c>; the string <c>"1"</c> and the number
/// <c>1</c> are two. A cancel names its call as the client spells the id, which need not be how the request spelled it. A
/// number's key is exact, from its text (digits and a power of ten), so no two different numbers share one, however long.
/// </remarks>
internal static class JsonRpcIdKey
{
    /// <summary>Returns the key of <paramref name="id"/>, or <see langword="null"/> when it is not a JSON string, number or null.</summary>
    public static string? Of(JsonElement id) => id.ValueKind switch
    {
        JsonValueKind.String => "s" + id.GetString(),
        JsonValueKind.Number when id.TryGetInt64(out long integer) => IntegerKey(integer), // the usual id: no text to take apart
        JsonValueKind.Number => "n" + Canonical(id.GetRawText()),
        JsonValueKind.Null => "null",
        _ => null,
    };

    /// <summary>The key <see cref="Canonical"/> gives an integer, from its value.</summary>
    private static string IntegerKey(long value)
    {
        if (value == 0)
        {
            return "n0";
        }

        int zeros = 0;
        while (value % 10 == 0)
        {
            value /= 10;
            zeros++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"n{value}e{zeros}");
    }

    /// <summary>Writes a JSON number as its significant digits and the power of ten of the last: <c>-1.50e2</c> is <c>-15e1</c>.</summary>
    private static string Canonical(string number)
    {
        ReadOnlySpan<char> text = number;
        bool negative = text[0] == '-';
        if (negative)
        {
            text = text[1..];
        }

        int e = text.IndexOfAny('e', 'E');
        if (e >= 0 && text.Length - e - 1 > 18)
        {
            return "raw" + number; // an exponent longer than a long holds: no client means it, and a huge one costs to parse
        }

        ReadOnlySpan<char> mantissa = e < 0 ? text : text[..e];
        BigInteger exponent = e < 0 ? BigInteger.Zero : long.Parse(text[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        int dot = mantissa.IndexOf('.');
        var digits = new StringBuilder(mantissa.Length);
        if (dot < 0)
        {
            digits.Append(mantissa);
        }
        else
        {
            digits.Append(mantissa[..dot]).Append(mantissa[(dot + 1)..]);
            exponent -= mantissa.Length - dot - 1;
        }

        string significant = digits.ToString().TrimStart('0');
        if (significant.Length == 0)
        {
            return "0"; // 0, -0, 0.00 and 0e5 are one id
        }

        int trailing = significant.Length - significant.TrimEnd('0').Length;
        exponent += trailing;
        return (negative ? "-" : string.Empty) + significant[..^trailing] + "e" + exponent.ToString(CultureInfo.InvariantCulture);
    }
}
