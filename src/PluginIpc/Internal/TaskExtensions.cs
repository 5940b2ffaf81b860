namespace PluginIpc;

/// <summary>Helpers for tasks that run on their own and must never leave an exception unobserved.</summary>
internal static class TaskExtensions
{
    /// <summary>Observes <paramref name="task"/>; the callee is responsible for handling its own failures.</summary>
    public static void Forget(this Task task)
    {
        if (!task.IsCompleted)
        {
            task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        else
        {
            _ = task.Exception;
        }
    }

    /// <summary>Fails the task of <paramref name="source"/> and marks its exception observed: whoever awaits it still gets the exception, and nobody has to await it.</summary>
    /// <returns><see langword="true"/> when this call completed the task.</returns>
    public static bool TrySetObservedException(this TaskCompletionSource source, Exception exception)
    {
        bool set = source.TrySetException(exception);
        _ = source.Task.Exception;
        return set;
    }

    /// <summary>Lets a task that never faults, such as a handler run, go on on its own. An unfinished one is left as it is, without wrapping it in a <see cref="Task"/>.</summary>
    public static void Forget(this ValueTask task)
    {
        if (task.IsCompleted)
        {
            task.GetAwaiter().GetResult();
        }
    }
}
