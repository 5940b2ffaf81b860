using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace PluginIpc.Generators;

/// <summary>
/// Writes, for each interface marked <c>[PluginIpc.PluginContract]</c>, the descriptor that PluginIpc's <c>GetProxy&lt;T&gt;</c>
/// and <c>AddTarget&lt;T&gt;</c> use: its methods' commands and signatures, a proxy that calls them, and a dispatcher that
/// runs them. A contract with errors (diagnostics PIPC001 to PIPC010) gets no code.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class PluginContractGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<ContractResult> contracts = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                "PluginIpc.PluginContractAttribute",
                static (node, _) => node is InterfaceDeclarationSyntax,
                static (context, cancellationToken) => ContractReader.Read((INamedTypeSymbol)context.TargetSymbol, context.TargetNode, context.Attributes[0], cancellationToken))
            .WithTrackingName(TrackingNames.Contracts);

        context.RegisterSourceOutput(contracts, static (context, result) =>
        {
            foreach (DiagnosticInfo diagnostic in result.Diagnostics)
            {
                context.ReportDiagnostic(diagnostic.ToDiagnostic());
            }

            if (result.Contract is { } contract)
            {
                context.AddSource(contract.HintName, ContractWriter.Write(contract));
            }
        });
    }
}
