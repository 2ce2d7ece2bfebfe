using Bszo.Cluster.Coordinator;
using Bszo.Cluster.Protocol;
using Bszo.Cluster.Training;
using Bszo.Models.Training;
using Bszo.Ort.Optimizers;

namespace Bszo.Tests.Cluster;

/// <summary>The coordinator's logic driven directly, with explicit times: no network, no processes.</summary>
public class RunLedgerTests
{
    private static readonly TimeSpan T0 = TimeSpan.FromSeconds(100);

    private static readonly RunFingerprint Run = new("base", 10, "examples");

    private static RunLedger Ledger(int start, int min, long steps = 20, bool lead = false) => new(new ClusterCoordinatorOptions
    {
        Spec = new ClusterTrainingSpec
        {
            Run = new RunSpec { Optimizer = "mezo", Options = new MezoOptions { TotalSteps = steps }, BatchSize = 9, DataSeed = 0 },
            ChecksumEvery = 5,
        },
        SetupJson = "{}",
        Fingerprint = Run,
        Lead = lead,
        StartWorkers = start,
        MinWorkers = min,
        HeartbeatTimeout = TimeSpan.FromSeconds(1),
        StallTimeout = TimeSpan.FromSeconds(30),
        PauseTimeout = TimeSpan.FromSeconds(10),
    });

    private static int Join(RunLedger ledger, string worker, TimeSpan now)
    {
        var reply = ledger.Join(new JoinRequest { Worker = worker, Fingerprint = Run }, now);
        Assert.That(reply.Accepted, Is.True, reply.Error);
        return reply.Incarnation;
    }

    private static Task<StepPlan> Arrive(RunLedger ledger, string worker, long step, TimeSpan now, string? checksum = "same", StepRecord? completed = null, int incarnation = 1) =>
        ledger.BeginStep(new StepArrival { Worker = worker, Incarnation = incarnation, Step = step, Checksum = checksum, Completed = completed }, now);

    private static Task<RoundReply> Submit(RunLedger ledger, string worker, long step, int evaluation, double sum, long count, TimeSpan now) =>
        ledger.Submit(new LossContribution { Worker = worker, Incarnation = 1, Step = step, Evaluation = evaluation, Sum = sum, Count = count }, now);

    private static async Task<T> Done<T>(Task<T> task) => await task.WaitAsync(TimeSpan.FromSeconds(10));

    [Test]
    public async Task Members_are_ranked_by_name_and_a_round_returns_the_mean_of_shard_sums_to_all()
    {
        var ledger = Ledger(start: 3, min: 1);
        foreach (var w in new[] { "c", "a", "b" }) Join(ledger, w, T0);
        var plans = new[] { "c", "a", "b" }.Select(w => Arrive(ledger, w, 0, T0)).ToList();
        var resolved = await Task.WhenAll(plans.Select(Done));
        Assert.That(resolved.Select(p => (p.Verdict, p.Shard, p.Shards)), Is.EqualTo(new[] { (Verdict.Go, 2, 3), (Verdict.Go, 0, 3), (Verdict.Go, 1, 3) }));

        var a = Submit(ledger, "a", 0, 0, 0.1 + 0.2, 2, T0);
        var b = Submit(ledger, "b", 0, 0, 0.7, 3, T0);
        Assert.That(a.IsCompleted, Is.False, "the round waits for every member");
        var c = Submit(ledger, "c", 0, 0, 1.3, 4, T0);
        var values = (await Task.WhenAll(Done(a), Done(b), Done(c))).Select(r => r.Loss).Distinct().ToList();
        Assert.That(values, Is.EqualTo(new[] { (0.1 + 0.2 + 0.7 + 1.3) / 9 }), "summed in rank order a, b, c: one double for everyone");
    }

    [Test]
    public async Task A_member_lost_mid_step_leaves_every_later_difference_over_the_same_shards()
    {
        var ledger = Ledger(start: 3, min: 1);
        foreach (var w in new[] { "a", "b", "c" }) Join(ledger, w, T0);
        await Task.WhenAll(new[] { "a", "b", "c" }.Select(w => Done(Arrive(ledger, w, 0, T0))));
        double[] round0 = [3.0, 4.0, 8.0], round1 = [3.3, 4.4];
        var first = await Task.WhenAll(new[] { "a", "b", "c" }.Select((w, i) => Done(Submit(ledger, w, 0, 0, round0[i], 3, T0))));
        double l0 = first[0].Loss;

        // c dies before the second forward pass: a and b send theirs and keep their heartbeats; c falls silent.
        var late = T0 + TimeSpan.FromSeconds(0.5);
        var pending = new[] { Submit(ledger, "a", 0, 1, round1[0], 3, late), Submit(ledger, "b", 0, 1, round1[1], 3, late) };
        ledger.Heartbeat("a", 1, T0 + TimeSpan.FromSeconds(1.2));
        ledger.Heartbeat("b", 1, T0 + TimeSpan.FromSeconds(1.2));
        ledger.Tick(T0 + TimeSpan.FromSeconds(1.6));
        var second = await Task.WhenAll(pending.Select(Done));
        double l1 = second[0].Loss;

        Assert.That(second.Select(r => r.Verdict), Is.All.EqualTo(Verdict.Go));
        Assert.That(second[1].Loss, Is.EqualTo(l1));
        Assert.That(ledger.Status().Members, Is.EqualTo(new[] { "a", "b" }));
        // L̂₁ − L̂₀ is the survivors' own difference, (3.3 + 4.4 − 3 − 4) / 6, not a difference between shard sets.
        Assert.That(l1 - l0, Is.EqualTo((3.3 + 4.4 - 3.0 - 4.0) / 6).Within(1e-15));
        Assert.That(l0, Is.EqualTo(15.0 / 9));

        var record = new StepRecord { Step = 0, Seeds = [1], Losses = [l0, l1], LearningRate = 1e-6 };
        var next = Arrive(ledger, "a", 1, late, checksum: null, completed: record);
        Assert.That(ledger.Records(0, 10), Has.Length.EqualTo(1), "the first hand-in appends the record");
        _ = Arrive(ledger, "b", 1, late, checksum: null, completed: record);
        Assert.That((await Done(next)).Shards, Is.EqualTo(2), "the next step is split between the survivors");
    }

    [Test]
    public async Task Different_weight_checksums_stop_the_run_with_an_error_naming_the_workers()
    {
        var ledger = Ledger(start: 2, min: 1);
        Join(ledger, "a", T0);
        Join(ledger, "b", T0);
        var a = Arrive(ledger, "a", 0, T0, checksum: "1111111111111111aaaa");
        var b = Arrive(ledger, "b", 0, T0, checksum: "2222222222222222bbbb");
        var plans = await Task.WhenAll(Done(a), Done(b));
        Assert.That(plans.Select(p => p.Verdict), Is.All.EqualTo(Verdict.Failed));
        Assert.That(plans[0].Error, Does.Contain("Weights differ between workers at step 0").And.Contain("a 1111111111111111").And.Contain("b 2222222222222222"));
        Assert.That(ledger.State, Is.EqualTo(RunState.Failed));
        Assert.That(ledger.Finished.IsCompleted);
    }

    [Test]
    public async Task A_record_that_disagrees_with_the_reported_losses_stops_the_run()
    {
        var ledger = Ledger(start: 1, min: 1);
        Join(ledger, "a", T0);
        await Done(Arrive(ledger, "a", 0, T0));
        double l0 = (await Done(Submit(ledger, "a", 0, 0, 2.0, 4, T0))).Loss;
        double l1 = (await Done(Submit(ledger, "a", 0, 1, 1.0, 4, T0))).Loss;
        var plan = await Done(Arrive(ledger, "a", 1, T0, checksum: null, completed: new StepRecord { Step = 0, Losses = [l0, l1 + 1e-12] }));
        Assert.That(plan.Verdict, Is.EqualTo(Verdict.Failed));
        Assert.That(plan.Error, Does.Contain("recorded other losses for step 0"));
    }

    [Test]
    public async Task Too_few_workers_pause_the_run_at_a_step_boundary_and_fail_it_after_the_pause_timeout()
    {
        var ledger = Ledger(start: 2, min: 2);
        Join(ledger, "a", T0);
        var plan = Arrive(ledger, "a", 0, T0);
        ledger.Heartbeat("a", 1, T0 + TimeSpan.FromSeconds(5));
        ledger.Tick(T0 + TimeSpan.FromSeconds(5));
        Assert.That(plan.IsCompleted, Is.False, "paused, not failed, within the pause timeout");
        for (int s = 6; s <= 11; s++)
        {
            ledger.Heartbeat("a", 1, T0 + TimeSpan.FromSeconds(s));
            ledger.Tick(T0 + TimeSpan.FromSeconds(s));
        }
        var result = await Done(plan);
        Assert.That(result.Verdict, Is.EqualTo(Verdict.Failed));
        Assert.That(result.Error, Does.Contain("for at least 2 workers"));
    }

    [Test]
    public async Task A_joiner_follows_the_run_by_replay_and_is_admitted_at_the_next_checksum_step()
    {
        var ledger = Ledger(start: 1, min: 1);
        Join(ledger, "a", T0);
        StepRecord? record = null;
        for (long step = 0; step < 3; step++) record = await RunStep(ledger, "a", step, record);
        Join(ledger, "b", T0); // two records are logged; step 2 is in progress

        // b replayed to step 2, which is running without it: it waits for the step's record.
        var b2 = Arrive(ledger, "b", 2, T0);
        Assert.That(b2.IsCompleted, Is.False);
        var a3 = Arrive(ledger, "a", 3, T0, checksum: null, completed: record);
        Assert.That((await Done(b2)).Verdict, Is.EqualTo(Verdict.CatchUp));
        Assert.That((await Done(a3)).Shards, Is.EqualTo(1), "step 3 is no checksum step: a goes on alone");

        // b replays step 2 and waits through steps 3 and 4.
        var b3 = Arrive(ledger, "b", 3, T0);
        record = await RunSubmits(ledger, "a", 3);
        var a4 = Arrive(ledger, "a", 4, T0, checksum: null, completed: record);
        Assert.That((await Done(b3)).Verdict, Is.EqualTo(Verdict.CatchUp));
        Assert.That((await Done(a4)).Shards, Is.EqualTo(1));
        var b4 = Arrive(ledger, "b", 4, T0);
        record = await RunSubmits(ledger, "a", 4);

        // Step 5 is a checksum step: the boundary waits for b, which arrives with matching weights.
        var a5 = Arrive(ledger, "a", 5, T0, checksum: "same", completed: record);
        Assert.That((await Done(b4)).Verdict, Is.EqualTo(Verdict.CatchUp));
        Assert.That(a5.IsCompleted, Is.False, "the boundary waits for the joiner that followed the run");
        var b5 = Arrive(ledger, "b", 5, T0, checksum: "same");
        var plans = await Task.WhenAll(Done(a5), Done(b5));
        Assert.That(plans.Select(p => (p.Verdict, p.Shard, p.Shards)), Is.EqualTo(new[] { (Verdict.Go, 0, 2), (Verdict.Go, 1, 2) }));
    }

    [Test]
    public async Task Every_step_waits_for_the_lead_which_holds_no_rows_reads_the_workers_mean_and_ends_the_run()
    {
        var ledger = Ledger(start: 2, min: 1, lead: true);
        Assert.That(ledger.JoinLead(T0).Accepted);
        Join(ledger, "a", T0);
        Join(ledger, "b", T0);
        var a = Arrive(ledger, "a", 0, T0);
        var b = Arrive(ledger, "b", 0, T0);
        Assert.That(a.IsCompleted, Is.False, "the boundary waits for the lead");
        var lead = Arrive(ledger, RunLedger.LeadName, 0, T0);
        var plans = await Task.WhenAll(Done(a), Done(b), Done(lead));
        Assert.That(plans.Select(p => (p.Verdict, p.Shard, p.Shards)), Is.EqualTo(new[] { (Verdict.Go, 0, 2), (Verdict.Go, 1, 2), (Verdict.Go, 0, 2) }),
            "the workers split the batch; the lead takes the step without rows");

        var leadLoss = ledger.LeadLoss(0, 0);
        Assert.That(leadLoss.IsCompleted, Is.False, "a round waits for the workers");
        var ra = Submit(ledger, "a", 0, 0, 1.0, 4, T0);
        var rb = Submit(ledger, "b", 0, 0, 2.0, 5, T0);
        Assert.That(await Done(leadLoss), Is.EqualTo(3.0 / 9));
        Assert.That((await Done(ra)).Loss, Is.EqualTo(3.0 / 9));
        Assert.That((await Done(rb)).Loss, Is.EqualTo(3.0 / 9));

        var record = new StepRecord { Step = 0, Seeds = [1], Losses = [3.0 / 9] };
        var end = ledger.BeginStep(new StepArrival { Worker = RunLedger.LeadName, Incarnation = 1, Step = 1, Completed = record, Checksum = "same", EndsRun = true }, T0);
        var ends = await Task.WhenAll(Done(end), Done(Arrive(ledger, "a", 1, T0, checksum: null, completed: record)), Done(Arrive(ledger, "b", 1, T0, checksum: null, completed: record)));
        Assert.That(ends.Select(p => p.Verdict), Is.All.EqualTo(Verdict.Done), "the lead ends the run before its last step (early stopping)");
        Assert.That(ledger.State, Is.EqualTo(RunState.Completed));
        Assert.That(ledger.Records(0, 10), Has.Length.EqualTo(1));
    }

    [Test]
    public void Workers_with_other_base_weights_or_examples_are_refused_and_the_leads_name_is_reserved()
    {
        var ledger = Ledger(start: 1, min: 1, lead: true);
        var weights = ledger.Join(new JoinRequest { Worker = "a", Fingerprint = Run with { BaseWeightsSha256 = "other" } }, T0);
        Assert.That(weights.Accepted, Is.False);
        Assert.That(weights.Error, Does.Contain("other base weights").And.Contain("trainable tensors"));
        var examples = ledger.Join(new JoinRequest { Worker = "a", Fingerprint = Run with { TrainExamplesSha256 = "other" } }, T0);
        Assert.That(examples.Error, Does.Contain("other training examples").And.Contain("same data files"));
        var lead = ledger.Join(new JoinRequest { Worker = RunLedger.LeadName, Fingerprint = Run }, T0);
        Assert.That(lead.Error, Does.Contain("reserved").And.Contain("--name"));
    }

    private static async Task<StepRecord> RunStep(RunLedger ledger, string worker, long step, StepRecord? previous)
    {
        var plan = await Done(Arrive(ledger, worker, step, T0, checksum: step % 5 == 0 ? "same" : null, completed: previous));
        Assert.That(plan.Verdict, Is.EqualTo(Verdict.Go));
        return await RunSubmits(ledger, worker, step);
    }

    private static async Task<StepRecord> RunSubmits(RunLedger ledger, string worker, long step)
    {
        double l0 = (await Done(Submit(ledger, worker, step, 0, 1.0 + step, 4, T0))).Loss;
        double l1 = (await Done(Submit(ledger, worker, step, 1, 0.9 + step, 4, T0))).Loss;
        return new StepRecord { Step = step, Seeds = [(ulong)step], Losses = [l0, l1] };
    }
}
