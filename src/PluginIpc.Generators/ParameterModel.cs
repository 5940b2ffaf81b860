namespace PluginIpc.Generators;

/// <summary>A parameter of a contract method, as the generated code declares and passes it.</summary>
/// <param name="Name">Its name, escaped with <c>@</c> when it is a keyword.</param>
/// <param name="Type">Its type, fully qualified with <c>global::</c> and nullable annotations.</param>
/// <param name="Role">What it is on the wire.</param>
/// <param name="WireType">The type read and written: <see cref="Type"/>, or the reports' type of a progress parameter.</param>
/// <param name="IsParams">Whether it is declared <c>params</c>.</param>
internal sealed record ParameterModel(string Name, string Type, ParameterRole Role, string WireType, bool IsParams);
