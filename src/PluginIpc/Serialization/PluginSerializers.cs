using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace PluginIpc;

/// <summary>Picks the serializer of a peer whose options set none.</summary>
internal static class PluginSerializers
{
    private static MessagePackPluginSerializer? s_default;

    /// <summary>Returns <paramref name="configured"/>, or the default <see cref="MessagePackPluginSerializer"/>.</summary>
    /// <exception cref="InvalidOperationException">None is configured and the process cannot run dynamic code (NativeAOT).</exception>
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Only when no serializer is configured; without dynamic code it throws a clear error instead.")]
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Only when no serializer is configured; trimmed apps set a JsonPluginSerializer with a context, as documented.")]
    public static IPluginSerializer Resolve(IPluginSerializer? configured)
    {
        if (configured is not null)
        {
            return configured;
        }

        if (!RuntimeFeature.IsDynamicCodeSupported)
        {
            throw new InvalidOperationException(
                "Typed calls need a serializer that works without dynamic code here (NativeAOT): set Serializer in the options to a JsonPluginSerializer made with your JsonSerializerContext.");
        }

        return s_default ??= new MessagePackPluginSerializer();
    }
}
