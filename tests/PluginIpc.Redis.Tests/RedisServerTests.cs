namespace PluginIpc.Redis.Tests;

/// <summary>A fixture whose every test gets its own redis-server: started before it, stopped after it, even when it fails.</summary>
[CancelAfter(120_000)]
public abstract class RedisServerTests
{
    /// <summary>Gets the current test's redis-server.</summary>
    internal RedisServer Redis { get; private set; } = null!;

    [SetUp]
    public async Task StartRedis() => Redis = await RedisServer.StartAsync();

    [TearDown]
    public async Task StopRedis()
    {
        if (Redis is not null)
        {
            await Redis.DisposeAsync();
        }
    }
}
