namespace PluginIpc.Tests;

/// <summary>Awaits a task that should fail, for tests that time the failure.</summary>
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
}
