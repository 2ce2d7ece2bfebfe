using Bszo.Cluster.Protocol;
using Bszo.Ort.Optimizers;
using Orleans.Concurrency;

namespace Bszo.Cluster.Coordinator;

/// <summary>
/// The Orleans face of a <see cref="RunLedger"/>. Reentrant: a call waiting for other workers must not
/// keep their calls out.
/// </summary>
[Reentrant]
internal sealed class CoordinatorGrain(RunLedger ledger, ClusterCoordinatorOptions options) : Grain, ICoordinatorGrain
{
    public Task<RunDescription> Describe()
    {
        CheckRun();
        return Task.FromResult(ledger.Describe() with { HeartbeatInterval = options.HeartbeatTimeout / 5, WaitLimit = options.StallTimeout + options.PauseTimeout });
    }

    public Task<JoinReply> Join(JoinRequest request)
    {
        CheckRun();
        return Task.FromResult(ledger.Join(request, MonotonicClock.Now));
    }

    public Task Heartbeat(string worker, int incarnation)
    {
        ledger.Heartbeat(worker, incarnation, MonotonicClock.Now);
        return Task.CompletedTask;
    }

    public Task<StepRecord[]> Records(long from, int max) => Task.FromResult(ledger.Records(from, Math.Clamp(max, 0, 4096)));

    public Task<StepPlan> BeginStep(StepArrival arrival) => Hold(ledger.BeginStep(arrival, MonotonicClock.Now), StepPlan.Of(Verdict.Retry));

    public Task<RoundReply> Submit(LossContribution contribution) => Hold(ledger.Submit(contribution, MonotonicClock.Now), RoundReply.Of(Verdict.Retry));

    /// <summary>Waits for <paramref name="pending"/> at most the poll hold; then answers <paramref name="retry"/>.</summary>
    private async Task<T> Hold<T>(Task<T> pending, T retry)
    {
        if (pending.IsCompleted) return await pending;
        using var timeout = new CancellationTokenSource();
        var winner = await Task.WhenAny(pending, Task.Delay(options.PollHold, timeout.Token));
        if (winner != pending) return retry;
        await timeout.CancelAsync();
        return await pending;
    }

    private void CheckRun()
    {
        var key = this.GetPrimaryKeyString();
        if (key != options.RunName)
        {
            Throw.Bszo($"This coordinator runs '{options.RunName}', not '{key}'.", options.RunName, key, "pass the coordinator's --run name to the worker.");
        }
    }
}
