using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using PluginIpc.Contracts;

namespace PluginIpc.Tests.Generators;

/// <summary>What one run of the contract generator produced.</summary>
/// <param name="Source">The source it ran on, usings included: diagnostics' spans index into it.</param>
/// <param name="Diagnostics">The generator's diagnostics.</param>
/// <param name="Generated">The files it added.</param>
/// <param name="Output">The compilation with those files.</param>
internal sealed record GeneratorRun(string Source, ImmutableArray<Diagnostic> Diagnostics, ImmutableArray<SyntaxTree> Generated, Compilation Output)
{
    /// <summary>Gets the output compilation's errors and warnings, and the warnings in generated files.</summary>
    public IEnumerable<string> OutputProblems => Output.GetDiagnostics()
        .Where(d => d.Severity == DiagnosticSeverity.Error || (d.Severity == DiagnosticSeverity.Warning && d.Location.SourceTree is { } tree && Generated.Contains(tree)))
        .Select(d => d.ToString());

    /// <summary>Gets the text of the generated file whose name ends with <paramref name="hintName"/>.</summary>
    public string GeneratedText(string hintName) =>
        Generated.Single(tree => tree.FilePath.EndsWith(hintName, StringComparison.Ordinal)).GetText().ToString();

    /// <summary>Asserts the run went without a diagnostic nor an error, then loads the output and creates descriptor <paramref name="typeName"/>.</summary>
    public ContractDescriptor LoadDescriptor(string typeName)
    {
        Assert.That(Diagnostics, Is.Empty);
        Assert.That(OutputProblems, Is.Empty);
        using var image = new MemoryStream();
        Microsoft.CodeAnalysis.Emit.EmitResult emitted = Output.Emit(image);
        Assert.That(emitted.Success, Is.True, string.Join("\n", emitted.Diagnostics));
        image.Position = 0;
        // A context per run: each output is an assembly named "Contracts". PluginIpc resolves to the test's own copy.
        Assembly assembly = new AssemblyLoadContext(typeName, isCollectible: true).LoadFromStream(image);
        Type type = assembly.GetType(typeName) ?? throw new AssertionException($"no type {typeName} in the output");
        return (ContractDescriptor)Activator.CreateInstance(type, nonPublic: true)!;
    }
}
