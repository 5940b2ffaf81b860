namespace PluginIpc.Tests;

/// <summary>Awaits work that should fail, instead of blocking a thread on it as <c>Assert.ThrowsAsync</c> does.</summary>
/// <remarks>
/// <c>Assert.ThrowsAsync</c> and its kin block the calling thread until the task ends. After an awaited call the test
/// often runs on a channel's read loop or a pool thread, and on a one-CPU machine the pool may have no other thread to
/// complete the task with: the failure then seems to take as long as the pool takes to grow.
/// </remarks>
internal static class Failure
{
    /// <summary>Awaits <paramref name="task"/> and returns what it failed with, or <see langword="null"/> if it succeeded.</summary>
    /// <param name="task">The task.</param>
    /// <returns>The exception.</returns>
    public static async Task<Exception?> Of(Task task)
    {
        try
        {
            await task;
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    /// <summary>Awaits <paramref name="work"/> and asserts that it fails with exactly <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The exception type expected.</typeparam>
    /// <param name="work">The work.</param>
    /// <returns>The exception.</returns>
    public static async Task<T> ThrowsAsync<T>(Func<Task> work)
        where T : Exception
    {
        Exception? failure = await Of(work());
        Assert.That(failure, Is.TypeOf<T>(), $"expected {typeof(T).Name}, got {failure?.GetType().Name ?? "success"}: {failure}");
        return (T)failure!;
    }

    /// <summary>Awaits <paramref name="work"/> and asserts that it fails with <typeparamref name="T"/> or a type derived from it.</summary>
    /// <typeparam name="T">The exception type expected.</typeparam>
    /// <param name="work">The work.</param>
    /// <returns>The exception.</returns>
    public static async Task<T> CatchAsync<T>(Func<Task> work)
        where T : Exception
    {
        Exception? failure = await Of(work());
        Assert.That(failure, Is.InstanceOf<T>(), $"expected {typeof(T).Name}, got {failure?.GetType().Name ?? "success"}: {failure}");
        return (T)failure!;
    }
}
