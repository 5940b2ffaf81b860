using System.Collections.Concurrent;
using NUnit.Framework.Interfaces;

[assembly: PluginIpc.Tests.UnobservedTaskExceptionCheck]

namespace PluginIpc.Tests;

/// <summary>
/// Fails a test during or just before which a task's exception went unobserved: the library must observe every task it
/// faults. After each test a full collection runs the finalizers that report such tasks.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class UnobservedTaskExceptionCheckAttribute : Attribute, ITestAction
{
    private static readonly ConcurrentQueue<Exception> s_unobserved = new();

    static UnobservedTaskExceptionCheckAttribute() =>
        TaskScheduler.UnobservedTaskException += static (_, e) => s_unobserved.Enqueue(e.Exception);

    /// <inheritdoc/>
    public ActionTargets Targets => ActionTargets.Test;

    /// <inheritdoc/>
    public void BeforeTest(ITest test)
    {
    }

    /// <inheritdoc/>
    public void AfterTest(ITest test)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var found = new List<Exception>();
        while (s_unobserved.TryDequeue(out Exception? exception))
        {
            found.Add(exception);
        }

        if (found.Count > 0)
        {
            // Each distinct one, with how often: the test that left them may have run earlier (a task is reported when collected).
            IEnumerable<string> distinct = found
                .GroupBy(exception => exception.ToString())
                .Select(group => $"{group.Count()} x {group.Key}");
            throw new AssertionException(
                $"{found.Count} task exception(s) went unobserved during or just before this test:{Environment.NewLine}{string.Join(Environment.NewLine, distinct)}");
        }
    }
}
