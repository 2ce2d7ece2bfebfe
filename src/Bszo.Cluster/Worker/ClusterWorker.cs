using System.Diagnostics;
using System.Text.Json;
using Bszo.Cluster.Data;
using Bszo.Cluster.Protocol;
using Bszo.Cluster.Training;
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
    private readonly ShardedBatchSource _data;
    private readonly PreparedModel _model;
    private readonly SnapshotDirectory _snapshots;
    private readonly CancellationToken _cancellation;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _trained;
    private long _replayed;
    private int _rejoins;

    private ClusterWorker(ClusterWorkerOptions options, CoordinatorLink link, RunDescription run, ClusterTrainingSpec spec, ShardedBatchSource data, CancellationToken cancellation)
    {
        _options = options;
        _link = link;
        _run = run;
        _spec = spec;
        _data = data;
        _cancellation = cancellation;
        _model = PreparedModel.Open(options.ModelDirectory);
        Directory.CreateDirectory(options.WorkDirectory);
        _snapshots = new SnapshotDirectory(options.WorkDirectory);
    }

    /// <summary>Connects, trains until the run ends, writes <c>worker.json</c>, and returns the summary.</summary>
    public static async Task<ClusterWorkerSummary> RunAsync(ClusterWorkerOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.OpenData);
        await using var link = await CoordinatorLink.ConnectAsync(options.Coordinator, options.RunName, options.WorkerName, options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
        RunDescription run;
        try
        {
            run = await link.Grain.Describe().ConfigureAwait(false);
        }
        catch (Exception e) when (e is OrleansException or TimeoutException)
        {
            throw new BszoException(BszoException.Format($"The coordinator at {options.Coordinator} did not describe run '{options.RunName}'.", found: e.Message), e);
        }
        var spec = ClusterTrainingSpec.FromJson(run.SpecJson);
        var data = options.OpenData(spec.Run);
        link.StartHeartbeats(run.HeartbeatInterval);
        var worker = new ClusterWorker(options, link, run, spec, data, cancellationToken);
        // The loop blocks on forward passes and coordinator replies: it gets a thread of its own.
        var summary = await Task.Factory.StartNew(worker.Run, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        AtomicFile.WriteAllText(Path.Combine(options.WorkDirectory, "worker.json"),
            JsonSerializer.Serialize(summary, SummaryJson));
        return summary;
    }

    private ClusterWorkerSummary Run()
    {
        Stopwatch? unreachable = null;
        for (_rejoins = 0; ; _rejoins++)
        {
            if (_rejoins > _options.MaxRejoins)
            {
                throw new BszoException(BszoException.Format($"Worker '{_options.WorkerName}' was dropped from the run {_rejoins} times.",
                    $"at most {_options.MaxRejoins} rejoins", hint: "the worker is too slow for the coordinator's timeouts, or its connection is unreliable."));
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
                    throw new BszoException(BszoException.Format($"Worker '{_options.WorkerName}' lost the coordinator for {unreachable.Elapsed.TotalSeconds:F0} s.",
                        found: e.Message, hint: "restart the coordinator with the same --run-dir; workers rejoin from their snapshots."), e);
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

    /// <summary>One life: open from a snapshot, join, catch up, and train until the run ends or this worker is dropped.</summary>
    private ClusterWorkerSummary Live()
    {
        var trainer = OpenTrainer(usable: true);
        try
        {
            var join = _link.Call(g => g.Join(new JoinRequest
            {
                Worker = _options.WorkerName,
                Optimizer = trainer.Optimizer.Name,
                OptionsJson = _spec.Run.ToJson().ToJsonString(),
                BaseWeightsSha256 = trainer.BaseWeightsSha256,
                TrainableElements = trainer.Store.ElementCount,
                DataFingerprint = _data.Fingerprint,
            }));
            if (!join.Accepted) throw new BszoException(join.Error ?? $"The coordinator refused worker '{_options.WorkerName}'.");
            _link.Incarnation = join.Incarnation;
            if (!SnapshotFits(trainer, join.RecordedSteps))
            {
                _options.Log?.Invoke($"{_options.WorkerName}: the snapshot at step {trainer.Optimizer.StepsTaken} does not fit the run's log; starting from the base weights.");
                _snapshots.Discard();
                trainer.Dispose();
                trainer = OpenTrainer(usable: false);
            }
            long from = trainer.Optimizer.StepsTaken;
            long replayed = CatchUp(trainer);
            _options.Log?.Invoke($"{_options.WorkerName}: joined as incarnation {join.Incarnation}; replayed steps {from}–{from + replayed} from the snapshot at step {from}.");
            return Train(trainer);
        }
        finally
        {
            trainer.Dispose();
        }
    }

    private WorkerTrainer OpenTrainer(bool usable)
    {
        var snapshot = usable ? _snapshots.Latest(_run.SpecJson, _model.Manifest.BaseWeightsSha256) : null;
        if (snapshot is null) return WorkerTrainer.Open(_model, _spec, _options.Session, _options.Sweep);
        var trainer = WorkerTrainer.Open(_model, _spec, _options.Session, _options.Sweep, snapshot);
        if (trainer.Store.Checksum() == snapshot.Checksum) return trainer;
        trainer.Dispose();
        _snapshots.Discard();
        return WorkerTrainer.Open(_model, _spec, _options.Session, _options.Sweep);
    }

    /// <summary>A snapshot fits when the log reaches it and the log's record of the step before it is the one the snapshot kept.</summary>
    private bool SnapshotFits(WorkerTrainer trainer, long recordedSteps)
    {
        long step = trainer.Optimizer.StepsTaken;
        if (step == 0) return true;
        if (step > recordedSteps || trainer.LastRecord is null) return false;
        var logged = _link.Records(step - 1, 1);
        return logged.Length == 1 && Coordinator.RecordComparison.Difference(logged[0], trainer.LastRecord) is null;
    }

    /// <summary>Replays every record the coordinator has beyond the trainer's step; returns how many.</summary>
    private long CatchUp(WorkerTrainer trainer)
    {
        long count = 0;
        while (true)
        {
            _cancellation.ThrowIfCancellationRequested();
            var page = _link.Records(trainer.Optimizer.StepsTaken, RecordPage);
            if (page.Length == 0) break;
            foreach (var record in page)
            {
                trainer.Optimizer.Replay(record);
                trainer.LastRecord = record;
            }
            count += page.Length;
        }
        _replayed += count;
        return count;
    }

    private ClusterWorkerSummary Train(WorkerTrainer trainer)
    {
        StepRecord? completed = null;
        bool admitted = false;
        while (true)
        {
            long step = trainer.Optimizer.StepsTaken;
            // Joiners always send a checksum: they are admitted only once their replayed weights match.
            string? checksum = !admitted || _spec.IsChecksumStep(step) ? trainer.Store.Checksum() : null;
            var arrival = new StepArrival { Worker = _options.WorkerName, Incarnation = _link.Incarnation, Step = step, Completed = completed, Checksum = checksum };
            var plan = _link.Poll(g => g.BeginStep(arrival), p => p.Verdict == Verdict.Retry, _run.WaitLimit, $"the start of step {step}", _cancellation);
            completed = null;
            switch (plan.Verdict)
            {
                case Verdict.CatchUp:
                    if (CatchUp(trainer) == 0) Thread.Sleep(TimeSpan.FromMilliseconds(20)); // the step is still being recorded
                    continue;
                case Verdict.Done:
                    return Finish(trainer, checksum ?? trainer.Store.Checksum());
                case Verdict.Failed:
                    throw new BszoException(plan.Error ?? "The run failed.");
                case Verdict.Go:
                    break;
                default:
                    throw new MembershipLostException($"Dropped at the start of step {step}: {plan.Error ?? plan.Verdict.ToString()}");
            }
            if (!admitted) _options.Log?.Invoke($"{_options.WorkerName}: admitted at step {step} as shard {plan.Shard} of {plan.Shards}.");
            admitted = true;
            if (step % _spec.SnapshotEvery == 0 && step > trainer.StartedFrom)
            {
                _snapshots.Save(trainer, _run.SpecJson, checksum ?? trainer.Store.Checksum());
            }
            using var batch = _data.Batch(step, plan.Shard, plan.Shards);
            if (batch is not null) trainer.Session.Bind(batch);
            var loss = new ClusterLossEvaluator(_link, batch is null ? null : trainer.Session, step, _run.WaitLimit, _cancellation);
            completed = trainer.Optimizer.Step(loss);
            trainer.LastRecord = completed;
            _trained++;
        }
    }

    private ClusterWorkerSummary Finish(WorkerTrainer trainer, string checksum)
    {
        var final = Path.Combine(_options.WorkDirectory, "final");
        var manifest = trainer.Store.Save(Path.Combine(final, "weights.bin"));
        manifest.Save(Path.Combine(final, WeightManifest.FileName));
        return new ClusterWorkerSummary
        {
            Worker = _options.WorkerName,
            Steps = trainer.Optimizer.StepsTaken,
            FinalChecksum = checksum,
            TrainedSteps = _trained,
            ReplayedSteps = _replayed,
            Rejoins = _rejoins,
            StartedFromStep = trainer.StartedFrom,
            FinalWeights = final,
            Elapsed = _clock.Elapsed,
        };
    }

    private void WaitBeforeRejoin(TimeSpan pause)
    {
        if (_cancellation.WaitHandle.WaitOne(pause)) _cancellation.ThrowIfCancellationRequested();
    }
}
