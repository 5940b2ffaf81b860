using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace PluginIpc.Generators;

/// <summary>Reads a <c>[PluginContract]</c> interface into a <see cref="ContractResult"/>: its model, or the reasons it has none.</summary>
internal sealed class ContractReader
{
    private const string ContractAttribute = "PluginIpc.PluginContractAttribute";
    private const string MethodAttribute = "PluginIpc.PluginMethodAttribute";
    private const string DescriptorSuffix = "_PluginContract";

    private readonly INamedTypeSymbol _contract;
    private readonly string _interfaceName;
    private readonly Location? _contractLocation;
    private readonly List<DiagnosticInfo> _diagnostics = [];
    private readonly HashSet<string> _methodNames = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _methodsByCmd = new(StringComparer.Ordinal);
    private bool _unbound;

    private ContractReader(INamedTypeSymbol contract)
    {
        _contract = contract;
        _interfaceName = contract.ToDisplayString(TypeNames.Signature);
        _contractLocation = contract.Locations.FirstOrDefault();
    }

    public static ContractResult Read(INamedTypeSymbol contract, SyntaxNode declaration, AttributeData attribute, CancellationToken cancellationToken) =>
        ReadsThisDeclaration(contract, declaration)
            ? new ContractReader(contract).Read(attribute, cancellationToken)
            : new ContractResult(null, EquatableArray<DiagnosticInfo>.Empty);

    /// <summary>
    /// Returns whether <paramref name="declaration"/> has the interface's first [PluginContract]: when parts of a partial
    /// interface repeat it (an error the compiler reports), each part is found, and only one may add the file.
    /// </summary>
    private static bool ReadsThisDeclaration(INamedTypeSymbol contract, SyntaxNode declaration)
    {
        SyntaxReference? first = contract.GetAttributes()
            .FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == ContractAttribute)?.ApplicationSyntaxReference;
        return first is null || (first.SyntaxTree == declaration.SyntaxTree && declaration.Span.Contains(first.Span));
    }

    private ContractResult Read(AttributeData attribute, CancellationToken cancellationToken)
    {
        CheckType();
        string contractName = attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string name ? name : _contract.Name;
        if (FindNameProblem(contractName) is { } problem)
        {
            Report(ContractDiagnostics.InvalidCommand, _contractLocation, "contract name", contractName, $"interface '{_interfaceName}'", problem);
        }

        var methods = new List<MethodModel>();
        foreach (INamedTypeSymbol type in new[] { _contract }.Concat(_contract.AllInterfaces))
        {
            foreach (ISymbol member in type.GetMembers())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (ReadMember(type, member, contractName) is { } method)
                {
                    methods.Add(method);
                }
            }
        }

        EquatableArray<DiagnosticInfo> diagnostics = new([.. _diagnostics]);
        if (_diagnostics.Count > 0 || _unbound)
        {
            return new ContractResult(null, diagnostics);
        }

        string ns = _contract.ContainingNamespace is { IsGlobalNamespace: false } containing
            ? string.Join(".", containing.ToDisplayString().Split('.').Select(EscapeName))
            : string.Empty;
        var names = new List<string>();
        for (INamedTypeSymbol? type = _contract; type is not null; type = type.ContainingType)
        {
            names.Insert(0, type.Name);
        }

        var model = new ContractModel(
            ns,
            string.Join("_", names) + DescriptorSuffix,
            TypeNames.ForCode(_contract),
            contractName,
            _interfaceName + ".PluginContract.g.cs",
            new([.. methods]));
        return new ContractResult(model, diagnostics);
    }

    /// <summary>Reports what makes the interface unusable whatever its members: type parameters, and an accessibility its descriptor cannot see.</summary>
    private void CheckType()
    {
        for (INamedTypeSymbol? type = _contract; type is not null; type = type.ContainingType)
        {
            if (type.TypeParameters.Length > 0)
            {
                string what = SymbolEqualityComparer.Default.Equals(type, _contract)
                    ? $"Interface '{_interfaceName}'"
                    : $"Type '{type.ToDisplayString(TypeNames.Signature)}', which contains interface '{_interfaceName}',";
                Report(ContractDiagnostics.Generic, _contractLocation, what);
                break;
            }
        }

        for (INamedTypeSymbol? type = _contract; type is not null; type = type.ContainingType)
        {
            string? hidden = type.IsFileLocal ? "file-local" : type.DeclaredAccessibility switch
            {
                Accessibility.Private => "private",
                Accessibility.Protected => "protected",
                Accessibility.ProtectedAndInternal => "private protected",
                _ => null,
            };
            if (hidden is not null)
            {
                string what = SymbolEqualityComparer.Default.Equals(type, _contract) ? hidden : $"in {hidden} type '{type.ToDisplayString(TypeNames.Signature)}'";
                Report(ContractDiagnostics.Inaccessible, _contractLocation, _interfaceName, what);
                break;
            }
        }
    }

    private MethodModel? ReadMember(INamedTypeSymbol type, ISymbol member, string contractName)
    {
        string? unsupported = member switch
        {
            INamedTypeSymbol => null, // a nested type is no member to implement
            IMethodSymbol { MethodKind: MethodKind.PropertyGet or MethodKind.PropertySet or MethodKind.EventAdd or MethodKind.EventRemove or MethodKind.EventRaise } => null, // reported with its property or event
            IPropertySymbol { IsIndexer: true } => "an indexer",
            IPropertySymbol => "a property",
            IEventSymbol => "an event",
            IFieldSymbol => "a field",
            { IsStatic: true } => "static",
            IMethodSymbol { MethodKind: MethodKind.Ordinary, IsAbstract: true } => null,
            IMethodSymbol { MethodKind: MethodKind.Ordinary } => "a method with a body",
            _ => "a member with a body",
        };
        if (unsupported is not null)
        {
            Report(ContractDiagnostics.UnsupportedMember, LocationOf(member), _interfaceName, member.Name, unsupported);
            return null;
        }

        return member is IMethodSymbol { MethodKind: MethodKind.Ordinary } method ? ReadMethod(type, method, contractName) : null;
    }

    private MethodModel? ReadMethod(INamedTypeSymbol type, IMethodSymbol method, string contractName)
    {
        int reported = _diagnostics.Count;
        Location? location = LocationOf(method);
        bool overload = !_methodNames.Add(method.Name);
        if (overload)
        {
            Report(ContractDiagnostics.Overload, location, _interfaceName, method.Name);
        }

        if (method.IsGenericMethod)
        {
            Report(ContractDiagnostics.Generic, location, $"Method '{_interfaceName}.{method.Name}'");
        }

        (ResultKind result, ITypeSymbol? resultType)? returns = ReadReturnType(method);
        if (returns is null)
        {
            Report(ContractDiagnostics.UnsupportedReturnType, location, _interfaceName, method.Name, method.ReturnType.ToDisplayString(TypeNames.Signature));
        }

        List<ParameterModel> parameters = ReadParameters(method, location);
        bool hasProgress = parameters.Any(p => p.Role == ParameterRole.Progress);
        if (returns is { result: ResultKind.Stream } && hasProgress)
        {
            Report(ContractDiagnostics.StreamWithProgress, location, _interfaceName, method.Name);
        }

        string cmd = ReadCmd(method, contractName, location, overload);
        if (_diagnostics.Count > reported || returns is not { } found)
        {
            return null;
        }

        if (HasErrors(method))
        {
            _unbound = true; // the compiler reports it; code written from an unbound type would add errors of its own
            return null;
        }

        string signatureResult = found.result switch
        {
            ResultKind.Task or ResultKind.ValueTask => "void",
            ResultKind.Stream => $"stream<{TypeNames.ForSignature(found.resultType!)}>",
            _ => TypeNames.ForSignature(found.resultType!),
        };
        var signatureParameters = method.Parameters
            .Where(p => !TypeNames.IsCancellationToken(p.Type))
            .Select(p => TypeNames.IsProgress(p.Type)
                ? $"progress<{TypeNames.ForSignature(((INamedTypeSymbol)p.Type).TypeArguments[0])}>"
                : TypeNames.ForSignature(p.Type));
        return new MethodModel(
            method.Name,
            cmd,
            $"{cmd}({string.Join(",", signatureParameters)}):{signatureResult}",
            parameters.Count(p => p.Role != ParameterRole.CancellationToken),
            found.result,
            found.resultType is null ? null : TypeNames.ForCode(found.resultType),
            TypeNames.ForCode(method.ReturnType),
            TypeNames.ForCode(type),
            new([.. parameters]));
    }

    private static (ResultKind Result, ITypeSymbol? ResultType)? ReadReturnType(IMethodSymbol method)
    {
        if (method.ReturnsByRef || method.ReturnsByRefReadonly || method.ReturnType is not INamedTypeSymbol returnType)
        {
            return null;
        }

        ITypeSymbol? argument = returnType.TypeArguments.Length == 1 ? returnType.TypeArguments[0] : null;
        return returnType switch
        {
            _ when TypeNames.Is(returnType, "System.Threading.Tasks", "Task") => (ResultKind.Task, null),
            _ when TypeNames.Is(returnType, "System.Threading.Tasks", "Task`1") => (ResultKind.TaskOfResult, argument),
            _ when TypeNames.Is(returnType, "System.Threading.Tasks", "ValueTask") => (ResultKind.ValueTask, null),
            _ when TypeNames.Is(returnType, "System.Threading.Tasks", "ValueTask`1") => (ResultKind.ValueTaskOfResult, argument),
            _ when TypeNames.Is(returnType, "System.Collections.Generic", "IAsyncEnumerable`1") => (ResultKind.Stream, argument),
            _ => null,
        };
    }

    private List<ParameterModel> ReadParameters(IMethodSymbol method, Location? location)
    {
        var parameters = new List<ParameterModel>(method.Parameters.Length);
        int tokens = 0, progress = 0;
        foreach (IParameterSymbol parameter in method.Parameters)
        {
            string? byReference = parameter.RefKind switch
            {
                RefKind.None => null,
                RefKind.Ref => "'ref'",
                RefKind.Out => "'out'",
                RefKind.In => "'in'",
                _ => "'ref readonly'",
            };
            byReference ??= parameter.Type switch
            {
                { IsRefLikeType: true } => $"a ref struct ('{TypeNames.ForSignature(parameter.Type)}')",
                { TypeKind: TypeKind.Pointer or TypeKind.FunctionPointer } => "a pointer",
                _ => null,
            };
            if (byReference is not null)
            {
                Report(ContractDiagnostics.ByReferenceParameter, LocationOf(parameter) ?? location, _interfaceName, method.Name, parameter.Name, byReference);
            }

            ParameterRole role = TypeNames.IsCancellationToken(parameter.Type) ? ParameterRole.CancellationToken
                : TypeNames.IsProgress(parameter.Type) ? ParameterRole.Progress
                : ParameterRole.Value;
            tokens += role == ParameterRole.CancellationToken ? 1 : 0;
            progress += role == ParameterRole.Progress ? 1 : 0;
            string type = TypeNames.ForCode(parameter.Type);
            string wireType = role == ParameterRole.Progress ? TypeNames.ForCode(((INamedTypeSymbol)parameter.Type).TypeArguments[0]) : type;
            parameters.Add(new ParameterModel(EscapeName(parameter.Name), type, role, wireType, parameter.IsParams));
        }

        string? misplaced =
            progress > 1 ? "has more than one IProgress<T> parameter"
            : tokens > 1 ? "has more than one CancellationToken parameter"
            : tokens == 1 && parameters[parameters.Count - 1].Role != ParameterRole.CancellationToken ? "has a CancellationToken parameter that is not the last"
            : null;
        if (misplaced is not null)
        {
            Report(ContractDiagnostics.MisplacedProgressOrToken, location, _interfaceName, method.Name, misplaced);
        }

        return parameters;
    }

    private string ReadCmd(IMethodSymbol method, string contractName, Location? location, bool overload)
    {
        AttributeData? attribute = method.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == MethodAttribute);
        string cmd = attribute is null
            ? $"{contractName}.{WithoutAsync(method.Name)}"
            : attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string given ? given : string.Empty;
        if ((FindNameProblem(cmd) ?? FindCmdProblem(cmd)) is { } problem)
        {
            Report(ContractDiagnostics.InvalidCommand, location, "command", cmd, $"method '{_interfaceName}.{method.Name}'", problem);
        }
        else if (!_methodsByCmd.TryGetValue(cmd, out string? other))
        {
            _methodsByCmd.Add(cmd, method.Name);
        }
        else if (!overload) // an overload's command is its first's: PIPC001 says so already
        {
            Report(ContractDiagnostics.DuplicateCommand, location, _interfaceName, other, method.Name, cmd);
        }

        return cmd;
    }

    /// <summary>Returns why a contract name or command cannot go into the handshake, which separates them with ';' and '='.</summary>
    private static string? FindNameProblem(string name) =>
        name.Length == 0 ? "it is empty"
        : name.IndexOf(';') >= 0 ? "it contains ';', which separates the handshake's entries"
        : name.IndexOf('=') >= 0 ? "it contains '=', which separates the handshake's keys from their values"
        : null;

    private static string? FindCmdProblem(string cmd) =>
        cmd.StartsWith("cmd.", StringComparison.Ordinal) ? "it starts with 'cmd.', which the protocol keeps for itself"
        : cmd == "GetMetadata" ? "the protocol's handshake uses it"
        : null;

    private static string WithoutAsync(string name) =>
        name.Length > "Async".Length && name.EndsWith("Async", StringComparison.Ordinal) ? name.Substring(0, name.Length - "Async".Length) : name;

    private static string EscapeName(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    private static bool HasErrors(IMethodSymbol method) =>
        TypeNames.HasErrors(method.ReturnType) || method.Parameters.Any(p => TypeNames.HasErrors(p.Type));

    /// <summary>Returns where a member is declared, or the contract itself for a member of a base interface from another assembly.</summary>
    private Location? LocationOf(ISymbol symbol) =>
        symbol.Locations.FirstOrDefault(l => l.IsInSource) ?? _contractLocation;

    private void Report(DiagnosticDescriptor descriptor, Location? location, params string[] arguments) =>
        _diagnostics.Add(new DiagnosticInfo(descriptor, LocationInfo.From(location), new(arguments)));
}
