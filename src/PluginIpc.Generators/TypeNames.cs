using Microsoft.CodeAnalysis;

namespace PluginIpc.Generators;

/// <summary>How the generator writes types, and how it recognizes the ones a contract gives a meaning to.</summary>
internal static class TypeNames
{
    /// <summary>For code: <c>global::Samples.Point</c>, <c>string?</c>; C# keywords for special types.</summary>
    public static readonly SymbolDisplayFormat Code = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>
    /// For signatures and messages: <c>Samples.Point</c>, <c>int[]</c>, <c>int?</c>; no <c>global::</c>, and no nullable
    /// reference annotations, which do not change what goes on the wire.
    /// </summary>
    public static readonly SymbolDisplayFormat Signature = new(
        globalNamespaceStyle: SymbolDisplayGlobalNamespaceStyle.Omitted,
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces,
        genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters,
        miscellaneousOptions: SymbolDisplayMiscellaneousOptions.UseSpecialTypes);

    public static string ForCode(ITypeSymbol type) => type.ToDisplayString(Code);

    public static string ForSignature(ITypeSymbol type) => type.ToDisplayString(Signature);

    /// <summary>Returns whether <paramref name="type"/> is (a construction of) <c>{ns}.{metadataName}</c>.</summary>
    public static bool Is(ITypeSymbol type, string ns, string metadataName) =>
        type is INamedTypeSymbol named
        && named.OriginalDefinition.MetadataName == metadataName
        && named.ContainingType is null
        && named.ContainingNamespace?.ToDisplayString() == ns;

    public static bool IsCancellationToken(ITypeSymbol type) => Is(type, "System.Threading", "CancellationToken");

    public static bool IsProgress(ITypeSymbol type) => Is(type, "System", "IProgress`1");

    /// <summary>Returns whether <paramref name="type"/> or a type it is made of failed to bind, so that the compiler reports it.</summary>
    public static bool HasErrors(ITypeSymbol type) => type switch
    {
        { TypeKind: TypeKind.Error } => true,
        IArrayTypeSymbol array => HasErrors(array.ElementType),
        INamedTypeSymbol { IsGenericType: true } named => named.TypeArguments.Any(HasErrors),
        _ => false,
    };
}
