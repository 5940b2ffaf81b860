using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using PluginIpc.Contracts;
using PluginIpc.Generators;

namespace PluginIpc.Tests.Generators;

/// <summary>Compiles a source text against PluginIpc and the platform, and runs the contract generator on it in-process.</summary>
internal static class GeneratorHarness
{
    public const string FilePath = "Contract.cs";

    /// <summary>The usings every source gets, as a project with implicit usings has them.</summary>
    public const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using PluginIpc;

        """;

    private static readonly CSharpParseOptions s_parseOptions = new(LanguageVersion.Latest);

    private static readonly Lazy<MetadataReference[]> s_references = new(() =>
    {
        // The test host's own assemblies: the platform, and PluginIpc itself.
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).ToList();
        paths.Add(typeof(ContractDescriptor).Assembly.Location);
        string[] ownProjects = ["GreeterContracts", "EchoPlugin", "PluginIpc.TestPlugin", "PluginIpc.Benchmarks", "PluginIpc.Tests"];
        return paths
            .Where(path => path.Length > 0 && !ownProjects.Contains(Path.GetFileNameWithoutExtension(path), StringComparer.OrdinalIgnoreCase)) // they declare contracts of their own
            .DistinctBy(Path.GetFileName, StringComparer.OrdinalIgnoreCase)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToArray();
    });

    public static CSharpCompilation Compile(string source, string assemblyName = "Contracts") =>
        CSharpCompilation.Create(
            assemblyName,
            [CSharpSyntaxTree.ParseText(Usings + source, s_parseOptions, FilePath)],
            s_references.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create(
            [new PluginContractGenerator().AsSourceGenerator()],
            parseOptions: s_parseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator on <paramref name="source"/> (which gets <see cref="Usings"/> in front).</summary>
    public static GeneratorRun Run(string source)
    {
        CSharpCompilation input = Compile(source);
        Assert.That(input.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error), Is.Empty, "the test's source compiles by itself");
        GeneratorDriver driver = CreateDriver().RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        return new GeneratorRun(Usings + source, diagnostics, driver.GetRunResult().GeneratedTrees, output);
    }
}
