using Microsoft.CodeAnalysis;

namespace PluginIpc.Generators;

/// <summary>A diagnostic to report, as plain values that compare by value.</summary>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public Diagnostic ToDiagnostic() =>
        Diagnostic.Create(Descriptor, Location?.ToLocation(), [.. Arguments]);
}
