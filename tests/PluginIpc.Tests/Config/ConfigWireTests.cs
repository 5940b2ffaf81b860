using System.Text;
using PluginIpc.Tests.Bus;

namespace PluginIpc.Tests.Config;

/// <summary>The configuration commands' buffers are exactly the examples of docs/PROTOCOL.md, section 11, in both formats.</summary>
public sealed class ConfigWireTests
{
    private static readonly IPluginSerializer s_msgpack = new MessagePackPluginSerializer();
    private static readonly IPluginSerializer s_json = new JsonPluginSerializer(BusWireJsonContext.Default);

    [Test]
    public void Set_MatchesTheDocumentedBytes_AndReadsBack()
    {
        byte[] msgpack = ConfigWire.Set(s_msgpack, PluginConfigScope.User, "theme", ConfigStoreTests.Json("\"dark\""));
        byte[] json = ConfigWire.Set(s_json, PluginConfigScope.User, "theme", ConfigStoreTests.Json(" \"dark\" "));

        Assert.That(Convert.ToHexString(msgpack), Is.EqualTo("93A475736572A57468656D65A6226461726B22"));
        Assert.That(Encoding.UTF8.GetString(json), Is.EqualTo("""["user","theme","\u0022dark\u0022"]"""));
        foreach ((IPluginSerializer serializer, byte[] buffer) in new[] { (s_msgpack, msgpack), (s_json, json) })
        {
            (PluginConfigScope scope, string key, System.Text.Json.JsonElement value) = ConfigWire.ReadSet(serializer, new Chunk { Cmd = Commands.ConfigSet, Buffer = buffer });
            Assert.That((scope, key, value.GetString()), Is.EqualTo((PluginConfigScope.User, "theme", "dark")));
        }
    }

    [Test]
    public void GetAndItsAnswer_MatchTheDocumentedBytes()
    {
        Assert.That(Convert.ToHexString(ConfigWire.Key(s_msgpack, PluginConfigScope.User, "theme")), Is.EqualTo("92A475736572A57468656D65"));
        Assert.That(Encoding.UTF8.GetString(ConfigWire.Key(s_json, PluginConfigScope.User, "theme")), Is.EqualTo("""["user","theme"]"""));
        Assert.That(Encoding.UTF8.GetString(ConfigWire.Key(s_json, PluginConfigScope.Plugin, null)), Is.EqualTo("""["plugin",null]"""));
        Assert.That(Convert.ToHexString(ConfigWire.Value(s_msgpack, ConfigStoreTests.Json("\"dark\""))), Is.EqualTo("A6226461726B22"));
        Assert.That(Encoding.UTF8.GetString(ConfigWire.Value(s_json, ConfigStoreTests.Json("{ \"a\" : [1, 2] }"))), Is.EqualTo(""" "{\u0022a\u0022:[1,2]}" """.Trim()), "compact JSON text in a JSON string");
        Assert.That(Convert.ToHexString(ConfigWire.Value(s_msgpack, null)), Is.EqualTo("C0"));
        Assert.That(Encoding.UTF8.GetString(ConfigWire.Removed(s_json, true)), Is.EqualTo("true"));
        Assert.That(Convert.ToHexString(ConfigWire.Removed(s_msgpack, false)), Is.EqualTo("C2"));
        Assert.That(Encoding.UTF8.GetString(ConfigWire.Changed("echo", PluginConfigScope.User, "theme")), Is.EqualTo("""{"plugin":"echo","scope":"user","key":"theme"}"""));
    }

    [Test]
    public void ABufferThatIsNotTheCommandsShape_IsAnInvalidRequestNamingIt()
    {
        RemoteException? scope = Assert.Throws<RemoteException>(() => ConfigWire.ReadKey(s_json, new Chunk { Cmd = Commands.ConfigGet, Buffer = """["User","k"]"""u8.ToArray() }, keyOptional: true));
        Assert.That((scope!.Code, scope.Message), Is.EqualTo((ErrorCodes.InvalidRequest, "'config.get': the scope 'User' is not plugin, user or system.")));
        RemoteException? shape = Assert.Throws<RemoteException>(() => ConfigWire.ReadSet(s_msgpack, new Chunk { Cmd = Commands.ConfigSet, Buffer = new byte[] { 0x91, 0x01 } }));
        Assert.That(shape!.Message, Does.StartWith("'config.set' takes [scope, key, value as JSON text] in the msgpack format"));
        RemoteException? notJson = Assert.Throws<RemoteException>(() => ConfigWire.ReadSet(s_json, new Chunk { Cmd = Commands.ConfigSet, Buffer = """["user","k","{oops"]"""u8.ToArray() }));
        Assert.That(notJson!.Message, Does.StartWith("The value of 'config.set' is not JSON text"));
        RemoteException? nilKey = Assert.Throws<RemoteException>(() => ConfigWire.ReadKey(s_json, new Chunk { Cmd = Commands.ConfigRemove, Buffer = """["user",null]"""u8.ToArray() }, keyOptional: false));
        Assert.That(nilKey!.Message, Does.Contain("the key is nil"));
    }
}
