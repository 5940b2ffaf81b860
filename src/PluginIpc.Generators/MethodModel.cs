namespace PluginIpc.Generators;

/// <summary>A method of a contract, as the generated code describes, calls and implements it.</summary>
/// <param name="Name">Its name in the interface.</param>
/// <param name="Cmd">Its command on the wire.</param>
/// <param name="Signature">Its shape, which the handshake compares.</param>
/// <param name="ArgumentCount">How many arguments go on the wire.</param>
/// <param name="Result">What it returns.</param>
/// <param name="ResultType">The <c>T</c> of its result, fully qualified; <see langword="null"/> for none.</param>
/// <param name="ReturnType">Its declared return type, fully qualified.</param>
/// <param name="DeclaringInterface">The interface that declares it (the contract or a base), fully qualified.</param>
/// <param name="Parameters">Its parameters, in order.</param>
internal sealed record MethodModel(
    string Name,
    string Cmd,
    string Signature,
    int ArgumentCount,
    ResultKind Result,
    string? ResultType,
    string ReturnType,
    string DeclaringInterface,
    EquatableArray<ParameterModel> Parameters)
{
    public bool HasProgress
    {
        get
        {
            foreach (ParameterModel parameter in Parameters)
            {
                if (parameter.Role == ParameterRole.Progress)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
