// AotPlugin: a plugin executable published with NativeAOT. It serves the IGreeter contract (samples/GreeterContracts) through
// the dispatcher PluginIpc's generator wrote, with JSON made by a source-generated context: nothing is read by reflection.
// See README.md for publishing and running it.
using AotPlugin;
using PluginIpc;
using Samples;

var options = new MainOptions
{
    Name = "AotPlugin",
    Serializer = new JsonPluginSerializer(AotPluginJsonContext.Default),
};
options.Metadata["version"] = "1.0";
options.Metadata["description"] = "A NativeAOT plugin that serves the IGreeter contract.";
options.AddTarget<IGreeter>(new Greeter("AotPlugin"));

return await Main.RegisterAsync(options);
