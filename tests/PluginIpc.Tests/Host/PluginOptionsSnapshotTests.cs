using System.Diagnostics.Metrics;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace PluginIpc.Tests.Host;

/// <summary>A plugin keeps a copy of its options that shares no mutable object with the caller's.</summary>
public sealed class PluginOptionsSnapshotTests
{
    [Test]
    public void Snapshot_LaterChangesToTheOptionsOrTheirPolicy_DoNotReachTheCopy()
    {
        var options = new PluginOptions { ExecutablePath = "/bin/true", RestartPolicy = RestartPolicy.OnFailure };
        options.Arguments.Add("first");
        options.Environment["LEVEL"] = "info";

        PluginOptions snapshot = options.Snapshot();
        new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["RestartPolicy:MaxRestarts"] = "1", ["RestartPolicy:MaxDelay"] = "00:01:00" })
            .Build()
            .Bind(options);
        options.Arguments.Add("late");
        options.Environment["LEVEL"] = "debug";

        Assert.That(options.RestartPolicy.MaxRestarts, Is.EqualTo(1), "the binder changed the caller's policy");
        Assert.That(snapshot.RestartPolicy.MaxRestarts, Is.EqualTo(5));
        Assert.That(snapshot.RestartPolicy.MaxDelay, Is.EqualTo(TimeSpan.FromSeconds(10)));
        Assert.That(snapshot.Arguments, Is.EqualTo(new[] { "first" }));
        Assert.That(snapshot.Environment["LEVEL"], Is.EqualTo("info"));
    }

    [Test]
    public void Snapshot_CopiesEverySetting_AndSharesOnlyTheLoggerAndMeterFactoriesAndTheClock()
    {
        using var loggerFactory = new CapturingLoggerFactory();
        using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var clock = new FakeTimeProvider();
        var options = new PluginOptions
        {
            ExecutablePath = "/bin/true",
            WorkingDirectory = Path.GetTempPath(),
            InheritEnvironment = false,
            Name = "named",
            Framer = "msgpack",
            Transport = PluginTransport.Stdio,
            Cookie = "cookie",
            StartTimeout = TimeSpan.FromSeconds(1),
            CallTimeout = TimeSpan.FromSeconds(2),
            PingInterval = TimeSpan.FromSeconds(3),
            PingTimeout = TimeSpan.FromSeconds(4),
            StopTimeout = TimeSpan.FromSeconds(6),
            RestartPolicy = new RestartPolicy { MaxRestarts = 3, Window = TimeSpan.FromSeconds(7), InitialDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(2) },
            MaxConcurrentHandlers = 7,
            FramerOptions = new FramerOptions { MaxCmdBytes = 12 },
            MaxQueuedMessages = 9,
            MaxQueuedBytes = 10,
            MaxRunningRequestBytes = 13,
            RecentLogCapacity = 8,
            RecentLogByteCapacity = 4096,
            MaxOutputLineLength = 11,
            LoggerFactory = loggerFactory,
            MeterFactory = services.GetRequiredService<IMeterFactory>(),
            TimeProvider = clock,
            Serializer = new JsonPluginSerializer(Serialization.TypedTestJsonContext.Default),
            BusPublishTopics = ["orders.*"],
            BusSubscribeTopics = ["prices"],
            AllowSystemConfigWrites = true,
            BusyPollTime = TimeSpan.FromMicroseconds(50),
            KillLeftoverProcesses = true,
        };
        options.Arguments.Add("argument");
        options.Environment["NAME"] = "value";
        var defaults = new PluginOptions();

        PluginOptions snapshot = options.Snapshot();

        foreach (PropertyInfo property in typeof(PluginOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            object? value = property.GetValue(options);
            object? copied = property.GetValue(snapshot);
            Assert.That(value, Is.Not.EqualTo(property.GetValue(defaults)), $"this test sets {property.Name}: a new setting must be added here and to Snapshot");
            if (property.Name is nameof(PluginOptions.LoggerFactory) or nameof(PluginOptions.MeterFactory) or nameof(PluginOptions.TimeProvider) or nameof(PluginOptions.Serializer))
            {
                Assert.That(copied, Is.SameAs(value), $"{property.Name} is a service: shared on purpose");
            }
            else if (value is RestartPolicy policy)
            {
                Assert.That(copied, Is.Not.SameAs(policy), property.Name);
                Assert.That(
                    copied,
                    Has.Property(nameof(RestartPolicy.MaxRestarts)).EqualTo(policy.MaxRestarts)
                        .And.Property(nameof(RestartPolicy.Window)).EqualTo(policy.Window)
                        .And.Property(nameof(RestartPolicy.InitialDelay)).EqualTo(policy.InitialDelay)
                        .And.Property(nameof(RestartPolicy.MaxDelay)).EqualTo(policy.MaxDelay));
            }
            else if (value is FramerOptions limits)
            {
                Assert.That(copied, Is.Not.SameAs(limits), property.Name);
                Assert.That(
                    copied,
                    Has.Property(nameof(FramerOptions.MaxCmdBytes)).EqualTo(limits.MaxCmdBytes)
                        .And.Property(nameof(FramerOptions.MaxChunkBytes)).EqualTo(limits.MaxChunkBytes));
            }
            else if (value is System.Collections.IEnumerable and not string)
            {
                Assert.That(copied, Is.Not.SameAs(value), property.Name);
                Assert.That(copied, Is.EqualTo(value).AsCollection, property.Name);
            }
            else
            {
                Assert.That(copied, Is.EqualTo(value), property.Name);
            }
        }
    }
}
