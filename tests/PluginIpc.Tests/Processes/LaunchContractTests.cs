namespace PluginIpc.Tests.Processes;

[TestFixture]
public sealed class LaunchContractTests
{
    private const string Name = "my-plugin";

    [Test]
    public void TryRead_OnlyCookie_DefaultsToTextOverStdio()
    {
        bool ok = Read(new() { [LaunchVariables.Cookie] = "pluginipc-v1" }, out LaunchContract? contract, out string? error);

        Assert.That(ok, Is.True, error);
        Assert.That(contract!.Framer, Is.EqualTo("text"));
        Assert.That(contract.UsesStdio, Is.True);
        Assert.That(contract.InFd, Is.Null);
    }

    [Test]
    public void TryRead_AllVariables_ReadsThem()
    {
        bool ok = Read(
            new()
            {
                [LaunchVariables.Cookie] = "pluginipc-v1",
                [LaunchVariables.Protocol] = "1",
                [LaunchVariables.Framer] = "msgpack",
                [LaunchVariables.InFd] = "3",
                [LaunchVariables.OutFd] = "10",
            },
            out LaunchContract? contract,
            out string? error);

        Assert.That(ok, Is.True, error);
        Assert.That(contract!.Framer, Is.EqualTo("msgpack"));
        Assert.That(contract.UsesStdio, Is.False);
        Assert.That((contract.InFd, contract.OutFd), Is.EqualTo((3, 10)));
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("pluginipc-v2")]
    public void TryRead_MissingOrWrongCookie_FailsWithNotStartedByHostLine(string? cookie)
    {
        bool ok = Read(new() { [LaunchVariables.Cookie] = cookie }, out _, out string? error);

        Assert.That(ok, Is.False);
        Assert.That(error, Is.EqualTo("my-plugin is a plugin to be started by its host application; it cannot be run on its own."));
        Assert.That(error, Does.Not.Contain('\n'));
    }

    [TestCase(LaunchVariables.Protocol, "2")]
    [TestCase(LaunchVariables.Framer, "json")]
    [TestCase(LaunchVariables.InFd, "-1")]
    [TestCase(LaunchVariables.InFd, "+3")]
    [TestCase(LaunchVariables.InFd, " 3")]
    [TestCase(LaunchVariables.InFd, "0x3")]
    [TestCase(LaunchVariables.InFd, "")]
    [TestCase(LaunchVariables.InFd, "99999999999")]
    [TestCase(LaunchVariables.OutFd, "3.0")]
    public void TryRead_MalformedValue_FailsNamingTheVariable(string variable, string value)
    {
        var environment = new Dictionary<string, string?>
        {
            [LaunchVariables.Cookie] = "pluginipc-v1",
            [LaunchVariables.InFd] = "3",
            [LaunchVariables.OutFd] = "4",
            [variable] = value,
        };

        bool ok = Read(environment, out LaunchContract? contract, out string? error);

        Assert.That(ok, Is.False);
        Assert.That(contract, Is.Null);
        Assert.That(error, Does.StartWith("my-plugin: ").And.Contain(variable).And.Contain($"'{value}'"));
    }

    [Test]
    public void TryRead_OnlyOneDescriptor_Fails()
    {
        bool ok = Read(new() { [LaunchVariables.Cookie] = "pluginipc-v1", [LaunchVariables.OutFd] = "4" }, out _, out string? error);

        Assert.That(ok, Is.False);
        Assert.That(error, Does.Contain(LaunchVariables.InFd).And.Contain("together"));
    }

    [TestCase(null, null)]
    [TestCase("0", 0)]
    [TestCase("50", 50)]
    [TestCase("10000", 10_000)]
    public void TryRead_BusyPollHint_IsReadInMicroseconds(string? text, int? microseconds)
    {
        bool ok = Read(new() { [LaunchVariables.Cookie] = "pluginipc-v1", [LaunchVariables.BusyPollMicroseconds] = text }, out LaunchContract? contract, out string? error);

        Assert.That(ok, Is.True, error);
        Assert.That(contract!.BusyPollTime, Is.EqualTo(microseconds is { } value ? TimeSpan.FromMicroseconds(value) : null));
    }

    [TestCase("")]
    [TestCase("50us")]
    [TestCase("-1")]
    [TestCase("10001")]
    public void TryRead_MalformedBusyPollHint_FailsNamingTheVariable(string text)
    {
        bool ok = Read(new() { [LaunchVariables.Cookie] = "pluginipc-v1", [LaunchVariables.BusyPollMicroseconds] = text }, out _, out string? error);

        Assert.That(ok, Is.False);
        Assert.That(error, Is.EqualTo($"my-plugin: PLUGINIPC_BUSY_POLL_US is '{text}'; expected a decimal number of microseconds from 0 to 10000."));
    }

    private static bool Read(Dictionary<string, string?> environment, out LaunchContract? contract, out string? error) =>
        LaunchContract.TryRead(name => environment.GetValueOrDefault(name), "pluginipc-v1", Name, out contract, out error);
}
