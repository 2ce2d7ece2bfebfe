using Bszo.Cluster.Coordinator;
using Bszo.Cluster.Protocol;
using Bszo.Cluster.Training;
using Bszo.Models.Training;
using Bszo.Ort.Optimizers;

namespace Bszo.Cluster;

/// <summary>
/// The losses of a cluster run's lead trainer: the <see cref="Trainer"/> in the coordinator's process,
/// which holds no rows. Each of its forward passes is answered with the mean of the workers' shard
/// sums, the same double every worker receives, so its optimizer takes the steps theirs take; it waits
/// at every step boundary, hands in each step's record there (the coordinator compares it with the
/// workers'), and its last arrival ends the run.
/// </summary>
/// <remarks>
/// Calls go straight to the coordinator's <see cref="RunLedger"/> (same process, no network). A step
/// whose workers were all lost while it ran cannot be finished: the lead then stops with an error, and
/// <c>--resume</c> continues from its last checkpoint.
/// </remarks>
public sealed class ClusterLead : IStepLosses
{
    /// <summary>The lead's member name in the run (no worker may take it).</summary>
    public const string Name = RunLedger.LeadName;

    private readonly RunLedger _ledger;
    private readonly ClusterTrainingSpec _spec;
    private readonly TrainingCore _core;
    private readonly RoundLosses _rounds;
    private readonly CancellationToken _cancel;
    private readonly int _incarnation;
    private StepRecord? _completed;
    private bool _arrived;

    private ClusterLead(RunLedger ledger, ClusterTrainingSpec spec, TrainingCore core, int incarnation, CancellationToken cancel)
    {
        _ledger = ledger;
        _spec = spec;
        _core = core;
        _incarnation = incarnation;
        _cancel = cancel;
        _rounds = new RoundLosses(this);
    }

    /// <summary>Joins <paramref name="coordinator"/>'s run as its lead, training with <paramref name="core"/> (whose run spec must be the run's).</summary>
    public static ClusterLead Join(ClusterCoordinator coordinator, TrainingCore core, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(coordinator);
        ArgumentNullException.ThrowIfNull(core);
        var spec = coordinator.Options.Spec;
        if (!spec.Run.ToJson().ToJsonString().Equals(core.Setup.Spec.ToJson().ToJsonString(), StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The lead trains another run spec than its coordinator's.");
        }
        var reply = coordinator.Ledger.JoinLead(MonotonicClock.Now);
        if (!reply.Accepted) Throw.Bszo(reply.Error ?? "The coordinator refused its own trainer.");
        return new ClusterLead(coordinator.Ledger, spec, core, reply.Incarnation, cancel);
    }

    public ILossEvaluator Begin(long stepIndex)
    {
        var plan = Arrive(stepIndex, endsRun: false);
        if (plan.Verdict != Verdict.Go)
        {
            Throw.Bszo($"The run ended before its step {stepIndex}.", "the lead to end the run", plan.Verdict.ToString(), plan.Error);
        }
        _rounds.Start(stepIndex);
        return _rounds;
    }

    public void Complete(StepRecord? record) => _completed = record;

    public void Finish(long steps)
    {
        var plan = Arrive(steps, endsRun: true);
        if (plan.Verdict != Verdict.Done) Throw.Bszo($"The cluster did not end the run at step {steps}.", Verdict.Done.ToString(), plan.Verdict.ToString(), plan.Error);
    }

    /// <summary>Arrives at the boundary before <paramref name="step"/>, handing in the record of the step before, and waits for it to resolve.</summary>
    private StepPlan Arrive(long step, bool endsRun)
    {
        // The first arrival and the last always carry the weights' checksum: the coordinator compares them with the workers'.
        string? checksum = !_arrived || endsRun || _spec.IsChecksumStep(step) ? _core.HostWeights().Checksum() : null;
        var arrival = new StepArrival { Worker = RunLedger.LeadName, Incarnation = _incarnation, Step = step, Completed = _completed, Checksum = checksum, EndsRun = endsRun };
        var plan = Wait(_ledger.BeginStep(arrival, MonotonicClock.Now));
        _completed = null;
        _arrived = true;
        if (plan.Verdict == Verdict.Failed) Throw.Bszo(plan.Error ?? "The run failed.");
        return plan;
    }

    private T Wait<T>(Task<T> pending) => pending.WaitAsync(_cancel).GetAwaiter().GetResult();

    /// <summary>The forward passes of the step in progress, answered by the workers' rounds.</summary>
    private sealed class RoundLosses(ClusterLead lead) : ILossEvaluator
    {
        private long _step;
        private int _evaluation;

        public void Start(long step)
        {
            _step = step;
            _evaluation = 0;
        }

        public double Evaluate()
        {
            double loss = lead.Wait(lead._ledger.LeadLoss(_step, _evaluation++));
            if (double.IsFinite(loss)) return loss;
            var status = lead._ledger.Status();
            if (status.State == RunState.Failed) Throw.Bszo(status.Error ?? "The run failed.");
            return Throw.Bszo<double>($"Every worker of step {_step} was lost while it ran; the step cannot be finished.",
                hint: "the run stops here: continue it with --resume, which starts again from its last checkpoint.");
        }
    }
}
