using System.Globalization;
using PluginIpc;

namespace AotPlugin;

/// <summary>The plugin's commands, in one place: the typed handlers it registers.</summary>
internal static class AotPluginHandlers
{
    /// <summary>Registers <c>move</c> and <c>hello</c> on <paramref name="options"/>.</summary>
    public static void Register(MainOptions options)
    {
        // move: the point moved by (Dx, Dy).
        options.Handle<MoveRequest, Point>("move", static (request, _) =>
            ValueTask.FromResult(new Point(request.Point.X + request.Dx, request.Point.Y + request.Dy)));

        // hello: a greeting for the name.
        options.Handle<string, string>("hello", static (name, _) =>
            ValueTask.FromResult(string.Create(CultureInfo.InvariantCulture, $"Hello, {name}!")));
    }
}
