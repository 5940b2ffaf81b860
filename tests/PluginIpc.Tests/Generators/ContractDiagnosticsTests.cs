using Microsoft.CodeAnalysis;

namespace PluginIpc.Tests.Generators;

/// <summary>
/// Each contract the generator cannot implement gets its diagnostic, on the offending declaration, naming it, and no code:
/// the user sees the diagnostic, not errors in generated code.
/// </summary>
[TestFixture]
public sealed class ContractDiagnosticsTests
{
    /// <summary>Per case: the id, the name the diagnostic's location covers, a text its message has, and the contract's members (or whole source).</summary>
    private static IEnumerable<TestCaseData> Cases()
    {
        yield return Case("PIPC001", "Get", "more than one method named 'Get'", "Task Get(int id); Task Get(string name);");
        yield return Case("PIPC001", "Get", "'Get'", "Task Get(int id);", baseMembers: "Task<int> Get();");
        yield return Case("PIPC002", "count", "'ref'", "Task Get(ref int count);");
        yield return Case("PIPC002", "count", "'out'", "Task Get(out int count);");
        yield return Case("PIPC002", "count", "'in'", "Task Get(in int count);");
        yield return Case("PIPC002", "count", "'ref readonly'", "Task Get(ref readonly int count);");
        yield return Case("PIPC002", "span", "a ref struct ('System.ReadOnlySpan<byte>')", "Task Get(ReadOnlySpan<byte> span);");
        yield return Case("PIPC003", "Get", "returns 'int'", "int Get();");
        yield return Case("PIPC003", "Get", "returns 'void'", "void Get();");
        yield return Case("PIPC003", "Get", "returns 'System.Collections.Generic.IEnumerable<int>'", "IEnumerable<int> Get();");
        yield return Case("PIPC004", "Count", "Member 'Count' of interface 'Samples.IContract' is a property", "int Count { get; }");
        yield return Case("PIPC004", "this", "is an indexer", "int this[int index] { get; }");
        yield return Case("PIPC004", "Changed", "Member 'Changed' of interface 'Samples.IContract' is an event", "event EventHandler Changed;");
        yield return Case("PIPC004", "Create", "Member 'Create' of interface 'Samples.IContract' is static", "static Task Create() => Task.CompletedTask;");
        yield return Case("PIPC004", "Default", "Member 'Default' of interface 'Samples.IContract' is a method with a body", "Task Default() => Task.CompletedTask;");
        yield return Case("PIPC005", "Get", "Method 'Samples.IContract.Get' is generic", "Task<T> Get<T>();");
        yield return Case("PIPC005", "IContract", "Interface 'Samples.IContract<T>' is generic", """
            [PluginContract]
            public interface IContract<T>
            {
                Task<T> GetAsync();
            }
            """);
        yield return Case("PIPC005", "IContract", "contains interface", """
            public static class Outer<T>
            {
                [PluginContract]
                public interface IContract
                {
                    Task GetAsync();
                }
            }
            """);
        yield return Case("PIPC006", "Get", "more than one IProgress<T>", "Task Get(IProgress<int> a, IProgress<string> b);");
        yield return Case("PIPC006", "Get", "not the last", "Task Get(CancellationToken cancellationToken, int id);");
        yield return Case("PIPC006", "Get", "more than one CancellationToken", "Task Get(CancellationToken a, CancellationToken b);");
        yield return Case("PIPC007", "GetAsync", "Methods 'Samples.IContract.Get' and 'Samples.IContract.GetAsync' both have the command 'IContract.Get'", "Task Get(); Task GetAsync();");
        yield return Case("PIPC007", "Two", "command 'same'", "[PluginMethod(\"same\")] Task One(); [PluginMethod(\"same\")] Task Two();");
        yield return Case("PIPC008", "Get", "it is empty", "[PluginMethod(\"\")] Task Get();");
        yield return Case("PIPC008", "Get", "starts with 'cmd.'", "[PluginMethod(\"cmd.get\")] Task Get();");
        yield return Case("PIPC008", "Get", "contains ';'", "[PluginMethod(\"a;b\")] Task Get();");
        yield return Case("PIPC008", "Get", "contains '='", "[PluginMethod(\"a=b\")] Task Get();");
        yield return Case("PIPC008", "Get", "the protocol's handshake", "[PluginMethod(\"GetMetadata\")] Task Get();");
        yield return Case("PIPC008", "IContract", "contract name 'a;b' of interface 'Samples.IContract'", """
            [PluginContract("a;b")]
            public interface IContract
            {
                Task GetAsync();
            }
            """);
        yield return Case("PIPC009", "IContract", "is private", """
            public class Outer
            {
                [PluginContract]
                private interface IContract
                {
                    Task GetAsync();
                }
            }
            """);
        yield return Case("PIPC009", "IContract", "is protected", """
            public class Outer
            {
                [PluginContract]
                protected interface IContract
                {
                    Task GetAsync();
                }
            }
            """);
        yield return Case("PIPC009", "IContract", "in private type 'Samples.Outer.Hidden'", """
            public class Outer
            {
                private static class Hidden
                {
                    [PluginContract]
                    internal interface IContract
                    {
                        Task GetAsync();
                    }
                }
            }
            """);
        yield return Case("PIPC010", "Watch", "a stream cannot report progress", "IAsyncEnumerable<int> Watch(IProgress<int> progress);");
    }

    [TestCaseSource(nameof(Cases))]
    public void InvalidContract_GetsItsDiagnostic_AndNoCode(string id, string located, string message, string source)
    {
        GeneratorRun run = GeneratorHarness.Run(source);

        Assert.That(run.Generated, Is.Empty, "a contract with an error gets no code");
        Assert.That(run.Diagnostics.Select(d => d.Id), Is.Not.Empty.And.All.EqualTo(id), string.Join("\n", run.Diagnostics));
        Diagnostic diagnostic = run.Diagnostics[0];
        Assert.That(diagnostic.Severity, Is.EqualTo(DiagnosticSeverity.Error));
        Assert.That(diagnostic.Descriptor.Category, Is.EqualTo("PluginIpc.Contracts"));
        Assert.That(diagnostic.GetMessage(), Does.Contain(message));
        Assert.That(diagnostic.GetMessage(), Does.Contain("IContract"), "the message names the interface");
        Assert.That(diagnostic.Location.GetLineSpan().Path, Is.EqualTo(GeneratorHarness.FilePath));
        Assert.That(run.Source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length), Is.EqualTo(located));
    }

    [Test]
    public void OneInvalidContract_LeavesTheOthersCode()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            namespace Samples;

            [PluginContract]
            public interface IBad
            {
                int Get();
            }

            [PluginContract]
            public interface IGood
            {
                Task<int> GetAsync();
            }
            """);

        Assert.That(run.Diagnostics.Select(d => d.Id), Is.EqualTo(new[] { "PIPC003" }));
        Assert.That(run.Generated.Select(tree => Path.GetFileName(tree.FilePath)), Is.EqualTo(new[] { "Samples.IGood.PluginContract.g.cs" }));
        Assert.That(run.OutputProblems, Is.Empty);
    }

    private static TestCaseData Case(string id, string located, string message, string members, string? baseMembers = null)
    {
        string source = members.Contains("interface", StringComparison.Ordinal)
            ? $"namespace Samples;\n\n{members}\n"
            : baseMembers is null
                ? $"namespace Samples;\n\n[PluginContract]\npublic interface IContract\n{{\n    {members}\n}}\n"
                : $"namespace Samples;\n\npublic interface IBase\n{{\n    {baseMembers}\n}}\n\n[PluginContract]\npublic interface IContract : IBase\n{{\n    {members}\n}}\n";
        return new TestCaseData(id, located, message, source).SetArgDisplayNames(id, message);
    }
}
