using System.Diagnostics;
using System.Text.Json;
using Bszo.Cluster.Protocol;
using Bszo.Cluster.Training;
using Bszo.Models.Training;
using Bszo.Ort.Graph;
using Bszo.Ort.Optimizers;

namespace Bszo.Cluster.Worker;

/// <summary>
/// One worker's life in a run: join, catch up by replay, then at each step boundary take a shard,
/// run the optimizer's step with cluster-wide losses, and hand in the record; start over from the last
/// snapshot whenever the coordinator drops this worker.
/// </summary>
internal sealed class ClusterWorker
{
    private const int RecordPage = 1024;
    private static readonly JsonSerializerOptions SummaryJson = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
    private readonly ClusterWorkerOptions _options;
    private readonly CoordinatorLink _link;
    private readonly RunDescription _run;
    private readonly ClusterTrainingSpec _spec;
    private readonly TrainingCore _core;
    private readonly RunFingerprint _fingerprint;
    private readonly SnapshotDirectory _snapshots;
    private readonly CancellationToken _cancellation;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _trained;
    private long _replayed;
    private int _rejoins;
    private long _startedFrom;
    private StepRecord? _lastRecord;

    private ClusterWorker(ClusterWorkerOptions options, CoordinatorLink link, RunDescription run, ClusterTrainingSpec spec, TrainingCore core, CancellationToken cancellation)
    {
        _options = options;
        _link = link;
        _run = run;
        _spec = spec;
        _core = core;
        _fingerprint = FingerprintOf(core);
        _cancellation = cancellation;
        Directory.CreateDirectory(options.WorkDirectory);
        _snapshots = new SnapshotDirectory(options.WorkDirectory);
    }

    /// <summary>The base weights and training examples <paramref name="core"/> trains: what the coordinator checks a joiner against.</summary>
    public static RunFingerprint FingerprintOf(TrainingCore core)
    {
        ArgumentNullException.ThrowIfNull(core);
        var model = core.Setup.Model;
        return new RunFingerprint(model.Manifest.BaseWeightsSha256, model.Manifest.ElementCount, core.Setup.TrainExamplesSha256());
    }

    /// <summary>Connects, builds the run's training core, trains until the run ends, writes <c>worker.json</c>, and returns the summary.</summary>
    public static async Task<ClusterWorkerSummary> RunAsync(ClusterWorkerOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        await using var link = await CoordinatorLink.ConnectAsync(options.Coordinator, options.RunName, options.WorkerName, options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
        RunDescription run;
        try
        {
            run = await link.Grain.Describe().ConfigureAwait(false);
        }
        catch (Exception e) when (e is OrleansException or TimeoutException)
        {
            run = Throw.Bszo<RunDescription>(e, $"The coordinator at {options.Coordinator} did not describe run '{options.RunName}'.", found: e.Message);
        }
        var spec = ClusterTrainingSpec.FromJson(run.SpecJson);
        link.StartHeartbeats(run.HeartbeatInterval);
        // Loading the data and the frozen-prefix rows, and then the loop, block: they get a thread of their own.
        var summary = await Task.Factory.StartNew(() =>
        {
            var setup = options.Setup(spec.Run, run.SetupJson);
            using var core = TrainingCore.Open(setup, [setup.Data.Train], line => options.Log?.Invoke($"{options.WorkerName}: {line}"));
            return new ClusterWorker(options, link, run, spec, core, cancellationToken).Run();
        }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        AtomicFile.WriteAllText(Path.Combine(options.WorkDirectory, "worker.json"), JsonSerializer.Serialize(summary, SummaryJson));
        return summary;
    }

    private ClusterWorkerSummary Run()
    {
        Stopwatch? unreachable = null;
        for (_rejoins = 0; ; _rejoins++)
        {
            if (_rejoins > _options.MaxRejoins)
            {
                Throw.Bszo($"Worker '{_options.WorkerName}' was dropped from the run {_rejoins} times.",
                    $"at most {_options.MaxRejoins} rejoins", hint: "the worker is too slow for the coordinator's timeouts, or its connection is unreliable.");
            }
            try
            {
                return Live();
            }
            catch (MembershipLostException e) when (e.InnerException is OrleansException or TimeoutException)
            {
                // The coordinator is gone (restarting, or its machine is down): wait for it up to the connect timeout.
                unreachable ??= Stopwatch.StartNew();
                if (unreachable.Elapsed > _options.ConnectTimeout)
                {
                    Throw.Bszo(e, $"Worker '{_options.WorkerName}' lost the coordinator for {unreachable.Elapsed.TotalSeconds:F0} s.",
                        found: e.Message, hint: "continue the run with `bszo finetune --out <run> --resume`; workers rejoin from their snapshots.");
                }
                _options.Log?.Invoke($"{_options.WorkerName}: {e.Message}; retrying.");
                _rejoins--; // an unreachable coordinator is not this worker's fault
                WaitBeforeRejoin(TimeSpan.FromSeconds(1));
            }
            catch (MembershipLostException e)
            {
                unreachable = null;
                _options.Log?.Invoke($"{_options.WorkerName}: {e.Message}; rejoining from the last snapshot.");
                WaitBeforeRejoin(TimeSpan.FromMilliseconds(200));
            }
        }
    }

    /// <summary>One life: start from a snapshot (or the base weights), join, catch up, and train until the run ends or this worker is dropped.</summary>
    private ClusterWorkerSummary Live()
    {
        StartFrom(_snapshots.Latest(_run.SpecJson, _fingerprint.BaseWeightsSha256));
        var join = _link.Call(g => g.Join(new JoinRequest { Worker = _options.WorkerName, Fingerprint = _fingerprint }));
        if (!join.Accepted) Throw.Bszo(join.Error ?? $"The coordinator refused worker '{_options.WorkerName}'.");
        _link.Incarnation = join.Incarnation;
        if (!SnapshotFits(join.RecordedSteps))
        {
            _options.Log?.Invoke($"{_options.WorkerName}: the snapshot at step {_core.Optimizer.StepsTaken} does not fit the run's log; starting from the base weights.");
            _snapshots.Discard();
            StartFrom(null);
        }
        long from = _core.Optimizer.StepsTaken;
        long replayed = CatchUp();
        _options.Log?.Invoke($"{_options.WorkerName}: joined as incarnation {join.Incarnation}; replayed steps {from}–{from + replayed} from step {from}.");
        return Train();
    }

    /// <summary>Puts the core at the base weights, then at <paramref name="snapshot"/> when it is given and intact.</summary>
    private void StartFrom(WorkerSnapshot? snapshot)
    {
        _core.Restart();
        _startedFrom = 0;
        _lastRecord = null;
        if (snapshot is null) return;
        _core.Load(snapshot.Manifest, snapshot.DataPath, snapshot.State, snapshot.Directory);
        if (_core.HostWeights().Checksum() == snapshot.Checksum)
        {
            _startedFrom = snapshot.Step;
            _lastRecord = snapshot.LastRecord;
            return;
        }
        _snapshots.Discard();
        _core.Restart();
    }

    /// <summary>A snapshot fits when the log reaches it and the log's record of the step before it is the one the snapshot kept.</summary>
    private bool SnapshotFits(long recordedSteps)
    {
        long step = _core.Optimizer.StepsTaken;
        if (step == 0) return true;
        if (step > recordedSteps || _lastRecord is null) return false;
        var logged = _link.Records(step - 1, 1);
        return logged.Length == 1 && Coordinator.RecordComparison.Difference(logged[0], _lastRecord) is null;
    }

    /// <summary>Replays every record the coordinator has beyond the core's step; returns how many.</summary>
    private long CatchUp()
    {
        long count = 0;
        while (true)
        {
            _cancellation.ThrowIfCancellationRequested();
            var page = _link.Records(_core.Optimizer.StepsTaken, RecordPage);
            if (page.Length == 0) break;
            foreach (var record in page)
            {
                _core.Optimizer.Replay(record);
                _lastRecord = record;
            }
            count += page.Length;
        }
        _replayed += count;
        return count;
    }

    private ClusterWorkerSummary Train()
    {
        StepRecord? completed = null;
        bool admitted = false;
        while (true)
        {
            long step = _core.Optimizer.StepsTaken;
            // Joiners always send a checksum: they are admitted only once their replayed weights match.
            string? checksum = !admitted || _spec.IsChecksumStep(step) ? _core.HostWeights().Checksum() : null;
            var arrival = new StepArrival { Worker = _options.WorkerName, Incarnation = _link.Incarnation, Step = step, Completed = completed, Checksum = checksum };
            var plan = _link.Poll(g => g.BeginStep(arrival), p => p.Verdict == Verdict.Retry, _run.WaitLimit, $"the start of step {step}", _cancellation);
            completed = null;
            switch (plan.Verdict)
            {
                case Verdict.CatchUp:
                    if (CatchUp() == 0) Thread.Sleep(TimeSpan.FromMilliseconds(20)); // the step is still being recorded
                    continue;
                case Verdict.Done:
                    return Finish(step, checksum ?? _core.HostWeights().Checksum());
                case Verdict.Failed:
                    return Throw.Bszo<ClusterWorkerSummary>(plan.Error ?? "The run failed.");
                case Verdict.Go:
                    break;
                default:
                    throw new MembershipLostException($"Dropped at the start of step {step}: {plan.Error ?? plan.Verdict.ToString()}");
            }
            if (!admitted) _options.Log?.Invoke($"{_options.WorkerName}: admitted at step {step} as shard {plan.Shard} of {plan.Shards}.");
            admitted = true;
            if (step % _spec.SnapshotEvery == 0 && step > _startedFrom)
            {
                _snapshots.Save(_core, _run.SpecJson, checksum ?? _core.HostWeights().Checksum(), _lastRecord);
            }
            using var batch = _core.Batch(step, plan.Shard, plan.Shards);
            if (batch is not null) _core.Session.Bind(batch);
            var loss = new ClusterLossEvaluator(_link, batch is null ? null : _core.Session, step, _run.WaitLimit, _cancellation);
            completed = _core.Optimizer.Step(loss);
            _lastRecord = completed;
            _trained++;
        }
    }

    private ClusterWorkerSummary Finish(long steps, string checksum) => new()
    {
        Worker = _options.WorkerName,
        Steps = steps,
        FinalChecksum = checksum,
        TrainedSteps = _trained,
        ReplayedSteps = _replayed,
        Rejoins = _rejoins,
        StartedFromStep = _startedFrom,
        Elapsed = _clock.Elapsed,
    };

    private void WaitBeforeRejoin(TimeSpan pause)
    {
        if (_cancellation.WaitHandle.WaitOne(pause)) _cancellation.ThrowIfCancellationRequested();
    }
}
