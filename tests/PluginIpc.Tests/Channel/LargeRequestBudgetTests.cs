namespace PluginIpc.Tests.Channel;

public sealed class LargeRequestBudgetTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Test]
    public async Task OneLargerThanTheBudget_RunsAlone_AndWaitersAreServedInOrder()
    {
        var budget = new LargeRequestBudget(maxBytes: 100);
        Assert.That(budget.TryTake(150), Is.True, "nothing held: a request over the budget still runs");
        Task first = budget.WaitAsync(60, CancellationToken.None);
        Task second = budget.WaitAsync(30, CancellationToken.None);
        Assert.That(budget.TryTake(10), Is.False, "others wait before it");
        Assert.That((first.IsCompleted, second.IsCompleted), Is.EqualTo((false, false)));

        budget.Release(150);
        await Task.WhenAll(first, second).WaitAsync(s_timeout);
        Assert.That(budget.HeldBytes, Is.EqualTo(90));

        Task third = budget.WaitAsync(20, CancellationToken.None);
        Assert.That(third.IsCompleted, Is.False, "90 + 20 is over 100");
        budget.Release(30);
        await third.WaitAsync(s_timeout);
        Assert.That(budget.HeldBytes, Is.EqualTo(80));
    }

    [Test]
    public async Task AWaiterWithdrawnAtTheHead_LetsTheNextOneIn()
    {
        var budget = new LargeRequestBudget(maxBytes: 100);
        Assert.That(budget.TryTake(70), Is.True);
        using var cancellation = new CancellationTokenSource();
        Task big = budget.WaitAsync(80, cancellation.Token);
        Task small = budget.WaitAsync(20, CancellationToken.None);
        Assert.That(small.IsCompleted, Is.False, "behind the big one, in order");

        await cancellation.CancelAsync();
        Assert.That(async () => await big.WaitAsync(s_timeout), Throws.InstanceOf<OperationCanceledException>());
        await small.WaitAsync(s_timeout);
        Assert.That(budget.HeldBytes, Is.EqualTo(90), "the withdrawn waiter holds nothing");

        Assert.That(budget.WaitAsync(50, cancellation.Token).IsCanceled, Is.True, "a cancelled token does not wait");
        Assert.That(budget.HeldBytes, Is.EqualTo(90));
    }
}
