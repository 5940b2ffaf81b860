using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace PluginIpc.Tests.Generators;

/// <summary>The generator's model compares by value: edits that do not change a contract leave its code cached, so the IDE does not rewrite it per keystroke.</summary>
[TestFixture]
public sealed class ContractGeneratorCachingTests
{
    private const string Contract = """
        namespace Samples;

        [PluginContract]
        public interface IGreeter
        {
            Task<string> HelloAsync(string name, CancellationToken cancellationToken = default);
        }
        """;

    [Test]
    public void UnrelatedEdit_LeavesTheContractsOutputCached()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Contract);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        compilation = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Samples; public static class Other { }", (CSharpParseOptions)compilation.SyntaxTrees[0].Options));
        GeneratorRunResult second = driver.RunGenerators(compilation).GetRunResult().Results[0];

        // The interface is read again (the new file could have changed what its types mean) into an equal model.
        Assert.That(StepReasons(second), Is.EqualTo(new[] { IncrementalStepRunReason.Unchanged }));
        Assert.That(OutputReasons(second), Is.Not.Empty.And.All.EqualTo(IncrementalStepRunReason.Cached));
    }

    [Test]
    public void EditInsideTheContractThatChangesNothing_LeavesItsOutputCached()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Contract);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        SyntaxTree tree = compilation.SyntaxTrees[0];
        SyntaxTree edited = tree.WithChangedText(tree.GetText().Replace(tree.GetText().ToString().IndexOf("Task<string>", StringComparison.Ordinal), 0, "// a comment\n    "));
        GeneratorRunResult second = driver.RunGenerators(compilation.ReplaceSyntaxTree(tree, edited)).GetRunResult().Results[0];

        Assert.That(StepReasons(second), Is.EqualTo(new[] { IncrementalStepRunReason.Unchanged }), "the interface is read again into an equal model");
        Assert.That(OutputReasons(second), Is.Not.Empty.And.All.EqualTo(IncrementalStepRunReason.Cached));
    }

    [Test]
    public void EditThatChangesTheContract_WritesItAgain()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Contract);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        SyntaxTree tree = compilation.SyntaxTrees[0];
        SyntaxTree edited = tree.WithChangedText(tree.GetText().Replace(tree.GetText().ToString().IndexOf("HelloAsync", StringComparison.Ordinal), "HelloAsync".Length, "GreetAsync"));
        GeneratorRunResult second = driver.RunGenerators(compilation.ReplaceSyntaxTree(tree, edited)).GetRunResult().Results[0];

        Assert.That(StepReasons(second), Is.EqualTo(new[] { IncrementalStepRunReason.Modified }));
        Assert.That(second.GeneratedSources.Single().SourceText.ToString(), Does.Contain("\"IGreeter.Greet\""));
    }

    private static IEnumerable<IncrementalStepRunReason> StepReasons(GeneratorRunResult result) =>
        result.TrackedSteps["Contracts"].SelectMany(step => step.Outputs).Select(output => output.Reason);

    private static IEnumerable<IncrementalStepRunReason> OutputReasons(GeneratorRunResult result) =>
        result.TrackedOutputSteps.SelectMany(pair => pair.Value).SelectMany(step => step.Outputs).Select(output => output.Reason);
}
