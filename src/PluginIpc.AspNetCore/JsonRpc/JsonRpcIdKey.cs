using System.Globalization;
using System.Text.Json;

namespace PluginIpc.AspNetCore.JsonRpc;

/// <summary>The key a request id is tracked under: equal ids give equal keys, whatever their JSON spelling.</summary>
/// <remarks>
/// <c>"a"</c> and <c>"\u0061"</c> are one id, as are <c>1</c>, <c>1.0</c> and <c>1e0</c>; the string <c>"1"</c> and the number
/// <c>1</c> are two. A cancel names its call as the client spells the id, which need not be how the request spelled it.
/// </remarks>
internal static class JsonRpcIdKey
{
    /// <summary>Returns the key of <paramref name="id"/>, a JSON string, number or null.</summary>
    public static string Of(JsonElement id) => id.ValueKind switch
    {
        JsonValueKind.String => "s" + id.GetString(),
        JsonValueKind.Number when id.TryGetInt64(out long integer) => "n" + integer.ToString(CultureInfo.InvariantCulture),
        JsonValueKind.Number when id.TryGetDecimal(out decimal exact) => "n" + Normalize(exact),
        JsonValueKind.Number => "n" + id.GetDouble().ToString("R", CultureInfo.InvariantCulture),
        _ => "null",
    };

    // An integral value prints as the integer path does; otherwise dividing by a one with the most decimals drops trailing
    // zeros (decimal keeps its scale: 1.50m prints "1.50").
    private static string Normalize(decimal value) =>
        decimal.Truncate(value) == value && value >= long.MinValue && value <= long.MaxValue
            ? ((long)value).ToString(CultureInfo.InvariantCulture)
            : (value / 1.0000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);
}
