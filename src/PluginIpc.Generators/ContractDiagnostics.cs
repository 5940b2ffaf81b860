using Microsoft.CodeAnalysis;

namespace PluginIpc.Generators;

/// <summary>The errors of <c>[PluginContract]</c> interfaces. A contract with any of them gets no generated code.</summary>
internal static class ContractDiagnostics
{
    private const string Category = "PluginIpc.Contracts";

    public static readonly DiagnosticDescriptor Overload = Create(
        "PIPC001",
        "Contract methods cannot be overloaded",
        "Interface '{0}' has more than one method named '{1}': a contract's methods cannot be overloaded");

    public static readonly DiagnosticDescriptor ByReferenceParameter = Create(
        "PIPC002",
        "Contract arguments are sent by value",
        "Parameter '{2}' of method '{0}.{1}' is {3}: a contract's arguments are serialized and sent by value");

    public static readonly DiagnosticDescriptor UnsupportedReturnType = Create(
        "PIPC003",
        "Unsupported return type of a contract method",
        "Method '{0}.{1}' returns '{2}': a contract method returns Task, Task<T>, ValueTask, ValueTask<T> or IAsyncEnumerable<T>");

    public static readonly DiagnosticDescriptor UnsupportedMember = Create(
        "PIPC004",
        "Contracts have only methods",
        "Member '{1}' of interface '{0}' is {2}: a contract has only instance methods without a body");

    public static readonly DiagnosticDescriptor Generic = Create(
        "PIPC005",
        "Contracts and their methods cannot be generic",
        "{0} is generic: a contract and its methods cannot have type parameters");

    public static readonly DiagnosticDescriptor MisplacedProgressOrToken = Create(
        "PIPC006",
        "One IProgress<T> and one last CancellationToken at most",
        "Method '{0}.{1}' {2}: a contract method takes at most one IProgress<T> and one CancellationToken, which comes last");

    public static readonly DiagnosticDescriptor DuplicateCommand = Create(
        "PIPC007",
        "Two contract methods have the same command",
        "Methods '{0}.{1}' and '{0}.{2}' both have the command '{3}': each method of a contract needs its own");

    public static readonly DiagnosticDescriptor InvalidCommand = Create(
        "PIPC008",
        "Invalid command or contract name",
        "The {0} '{1}' of {2} is invalid: {3}");

    public static readonly DiagnosticDescriptor Inaccessible = Create(
        "PIPC009",
        "Contract interface not accessible to its generated code",
        "Interface '{0}' is {1}: its generated code, another class of its assembly, cannot use it; make it internal or public");

    public static readonly DiagnosticDescriptor StreamWithProgress = Create(
        "PIPC010",
        "A stream cannot report progress",
        "Method '{0}.{1}' returns IAsyncEnumerable<T> and takes an IProgress<T>: a stream cannot report progress (send it as items)");

    private static DiagnosticDescriptor Create(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}
