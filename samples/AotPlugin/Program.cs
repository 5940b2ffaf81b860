// AotPlugin: a plugin executable published with NativeAOT. Its typed calls use JSON with a source-generated context, the
// serializer that needs no reflection; the handlers are in AotPluginHandlers. See README.md for publishing and running it.
using AotPlugin;
using PluginIpc;

var options = new MainOptions
{
    Name = "AotPlugin",
    Serializer = new JsonPluginSerializer(AotPluginJsonContext.Default),
};
options.Metadata["version"] = "1.0";
options.Metadata["description"] = "A NativeAOT plugin with typed calls: move and hello.";

AotPluginHandlers.Register(options);

return await Main.RegisterAsync(options);
