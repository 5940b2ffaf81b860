using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace PluginIpc.Generators;

/// <summary>Where a diagnostic goes, without the syntax tree that a <see cref="Location"/> keeps alive.</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public static LocationInfo? From(Location? location) =>
        location is { IsInSource: true, SourceTree: not null }
            ? new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span)
            : null;

    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);
}
