using System.Text;
using Microsoft.Extensions.Logging;

namespace PluginIpc.Tests.Host;

/// <summary>The body of <c>cmd.log</c> a plugin sends: what the host makes of levels and strings it cannot take as they are.</summary>
public sealed class LogMessageTests
{
    [TestCase("Warning", LogLevel.Warning)]
    [TestCase("critical", LogLevel.Critical)]
    [TestCase("TRACE", LogLevel.Trace)]
    [TestCase("None", LogLevel.Information, TestName = "None, which no logger writes, is Information: the entry is not lost")]
    [TestCase("4", LogLevel.Information, TestName = "A number is not a level name")]
    [TestCase("Debug,Information", LogLevel.Information, TestName = "A list of names is not a level name")]
    [TestCase("loud", LogLevel.Information)]
    public void OnlyTheSixLevelNamesAreLevels(string level, LogLevel expected)
    {
        PluginLogEntry entry = LogMessage.Parse(Encoding.UTF8.GetBytes($$"""{"level":"{{level}}","category":"c","message":"m"}"""), DateTimeOffset.UnixEpoch);

        Assert.That(entry.Level, Is.EqualTo(expected));
        Assert.That(entry.Message, Is.EqualTo("m"));
    }

    [Test]
    public void AnUnreadableString_KeepsTheBodyAsText_InsteadOfThrowingIntoTheHost()
    {
        const string Body = """{"level":"Error","message":"\ud800"}""";

        PluginLogEntry entry = LogMessage.Parse(Encoding.UTF8.GetBytes(Body), DateTimeOffset.UnixEpoch);

        Assert.That(entry.Level, Is.EqualTo(LogLevel.Information));
        Assert.That(entry.Message, Is.EqualTo(Body));
    }
}
