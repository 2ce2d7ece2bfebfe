using System.Diagnostics;
using System.Text.Json.Nodes;
using Bszo.Models.Evaluation;
using Bszo.Ort;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;

namespace Bszo.Models.Training;

/// <summary>
/// The training loop, in the order nanoGPT and llm.c use: set up the model and the optimizer;
/// start fresh or resume; score the base model (zero-shot) first; then per step take the step's
/// batch, run one optimizer step, log it, and evaluate or checkpoint when due; finally score the
/// best weights on the held-out test split.
/// </summary>
/// <remarks>
/// <para><b>Determinism.</b> The batch of step t depends only on the data seed and t, and the
/// optimizer's seeds only on the run seed and t. The trajectory log (one line per step) therefore
/// replays the run exactly, so a resume loads the newest complete checkpoint and replays the steps
/// logged after it, without forward passes, then continues as if never interrupted.</para>
/// <para><b>Frozen prefix.</b> When only the graph's last layers train, forward passes run only
/// its trainable tail over rows the frozen rest computed once per example (<see cref="PrefixCaching"/>);
/// the step itself does not change.</para>
/// <para><b>Files.</b> See <see cref="RunDirectory"/>. Logs are append-only and flushed per line;
/// every other file is written atomically; checkpoint directories appear only when complete.</para>
/// <para><b>Ownership.</b> The trainer owns its <see cref="TrainingCore"/> (weights, session, optimizer)
/// for the duration of <see cref="Run"/> and disposes it before returning.</para>
/// </remarks>
public sealed class Trainer : IDisposable
{
    private readonly TrainerInputs _run;
    private readonly TrainingSetup _setup;
    private readonly ITrainingObserver _observer;
    private readonly TrainingOptions _options;
    private readonly long _steps;
    private readonly RunDirectory _dir;
    private readonly TrainingCore _core;
    private readonly WeightStore _store;
    private readonly ZerothOrderOptimizer _optimizer;
    private readonly IStepLosses _losses;
    private readonly TaskEvaluator _evaluator;
    private readonly BestWeights _best;
    private readonly TimedLoss _loss;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TrajectoryLog? _trajectory;
    private MetricsLog? _metrics;
    private TrainerState _state = new();
    private EvalResultSummary? _zeroShotDev, _zeroShotTest;
    private Dictionary<long, JsonObject> _loggedEvals = [];
    private double _elapsedBase;
    private long _peakRss, _peakRssSampledAt;

    private Trainer(TrainerInputs run, ITrainingObserver observer)
    {
        _run = run;
        _setup = run.Setup;
        _observer = observer;
        _options = run.Training;
        _steps = _setup.Spec.Steps;
        _dir = run.Run;
        var data = _setup.Data;
        // A trainer whose losses come from elsewhere runs forward passes only to evaluate.
        _core = TrainingCore.Open(_setup, run.Losses is null ? [data.Train, data.Dev, data.Test] : [data.Dev, data.Test], observer.Message);
        try
        {
            _store = _core.Store;
            _optimizer = _core.Optimizer;
            _evaluator = new TaskEvaluator(_core.Adapter, _core.Session, _setup.Task, _options.EvalBatchSize);
            _best = new BestWeights(_dir);
            _loss = new TimedLoss();
            bool score = TrainingObjectives.UsesTaskScore(_setup.Spec.Objective, _setup.Task);
            if (score && run.Losses is not null)
            {
                Throw.Bszo($"The '{_setup.Spec.Objective}' objective is scored in one process; this run's losses come from elsewhere (a cluster).",
                    TrainingObjectives.Loss, _setup.Spec.Objective, "train on a batch score without --workers.");
            }
            _losses = run.Losses?.Invoke(_core) ?? new LocalStepLosses(_core, score ? _evaluator : null);
        }
        catch
        {
            _core.Dispose();
            throw;
        }
    }

    /// <summary>Runs (or resumes) the training described by <paramref name="run"/>.</summary>
    public static TrainingResult Run(TrainerInputs run, ITrainingObserver? observer = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run.Resume) run.Run.RequireRunToResume();
        else run.Run.RequireNoRun();
        using var trainer = new Trainer(run, observer ?? new SilentObserver());
        using var stopForwardPass = cancel.Register(trainer._core.Session.Cancel);
        return trainer.Train(cancel);
    }

    private TrainingResult Train(CancellationToken cancel)
    {
        // 1. Start fresh, or resume from the newest checkpoint plus the steps logged after it.
        var header = RunIdentity.Header(_setup, _options, _store.ElementCount, _core.CachedPrefix, _core.Weights.Describe());
        long replayed = 0;
        double replaySeconds = 0;
        string? resumedFrom = null;
        if (_run.Resume)
        {
            var replayClock = Stopwatch.StartNew();
            (replayed, resumedFrom) = Resume(header);
            replaySeconds = replayClock.Elapsed.TotalSeconds;
        }
        else
        {
            Directory.CreateDirectory(_dir.Root);
            _trajectory = TrajectoryLog.Create(_dir.Trajectory, header);
            _metrics = MetricsLog.Open(_dir.Metrics);
            EvaluateZeroShot();
        }
        _observer.Started(new RunStart(_steps, _state.Step, replayed, _store.ElementCount, _optimizer.Name, _optimizer.ForwardPassesPerStep,
            _setup.Data.Train.Count, _setup.Data.Dev.Count, _setup.Data.Test.Count, resumedFrom));

        // 2. The loop: one optimizer step per iteration on the step's own batch.
        long liveSteps = 0;
        double stepSeconds = 0, sweepBefore = _core.Sweep.Elapsed.TotalSeconds, forwardBefore = _loss.Seconds;
        TimeSpan? firstStep = null;
        while (_state.Step < _steps && !_state.StoppedEarly)
        {
            cancel.ThrowIfCancellationRequested();
            long stepStart = Stopwatch.GetTimestamp();
            StepRecord? record = null;
            try
            {
                _loss.Source = _losses.Begin(_state.Step);
                record = _optimizer.Step(_loss);
            }
            finally
            {
                _losses.Complete(record);
            }
            long completed = _state.Step + 1;
            WriteTrajectory(record);
            _state = _state with { Step = completed, ForwardPasses = _state.ForwardPasses + record.Losses.Count };
            stepSeconds += Stopwatch.GetElapsedTime(stepStart).TotalSeconds;
            liveSteps++;
            firstStep ??= _clock.Elapsed;
            LogStep(record, liveSteps, stepSeconds);

            AfterStep(completed, loggedEval: null);
        }

        // 3. The held-out score of the best weights.
        _losses.Finish(_state.Step);
        var timings = new LoopTimings(liveSteps, stepSeconds, _loss.Seconds - forwardBefore, _core.Sweep.Elapsed.TotalSeconds - sweepBefore, firstStep, replaySeconds);
        return Finish(timings);
    }

    /// <summary>Evaluate, track the best weights, stop early, checkpoint: whatever step <paramref name="completed"/> calls for.
    /// Resume replays call it too, with the evaluation the interrupted run logged (if it got that far).</summary>
    private void AfterStep(long completed, JsonObject? loggedEval)
    {
        if (_options.IsEvalPoint(completed, _steps))
        {
            EvalReport report;
            if (loggedEval is null)
            {
                var dev = _evaluator.Evaluate(_setup.Data.Dev);
                bool isBest = dev.Metric > (_state.BestMetric ?? double.NegativeInfinity);
                report = new EvalReport(completed, "dev", dev.Loss, dev.Metric, dev.MetricName, isBest);
                var entry = EvalEntry(report, dev.Examples);
                _metrics!.Write(entry);
                _loggedEvals[completed] = entry;
            }
            else
            {
                report = new EvalReport(completed, "dev", (double)loggedEval["eval_loss"]!, (double)loggedEval[$"eval_{_setup.Task.Metric}"]!,
                    _setup.Task.Metric, (bool?)loggedEval["is_best"] ?? false);
            }
            if (report.IsBest)
            {
                _state = _state with { BestStep = completed, BestMetric = report.Metric, EvalsWithoutImprovement = 0 };
                if (_best.Step != completed) _best.Save(_core.HostWeights(), _state);
            }
            else
            {
                _state = _state with { EvalsWithoutImprovement = _state.EvalsWithoutImprovement + 1 };
                if (_options.Patience is int patience && _state.EvalsWithoutImprovement >= patience)
                {
                    _state = _state with { StoppedEarly = true };
                    _observer.Message($"early stopping after step {completed}: no better dev {_setup.Task.Metric} in {patience} evaluations (best at step {_state.BestStep})");
                }
            }
            _observer.Evaluated(report);
        }
        if (_options.IsCheckpointPoint(completed, _steps) || _state.StoppedEarly)
        {
            if (Checkpoints.Newest(_dir.Checkpoints)?.Step == completed) return;
            _state = _state with { ElapsedSeconds = Elapsed };
            var checkpoint = Checkpoints.Write(_dir.Checkpoints, _core.HostWeights(), _optimizer, _state);
            Checkpoints.Prune(_dir.Checkpoints, _options.KeepCheckpoints);
            _observer.Checkpointed(completed, checkpoint.Directory);
        }
    }

    /// <summary>Loads the newest complete checkpoint and replays the trajectory records after it (no forward passes).</summary>
    private (long Replayed, string? From) Resume(TrajectoryHeader header)
    {
        var (logged, records) = TrajectoryLog.Read(_dir.Trajectory);
        RunIdentity.RequireSame(logged, header, _dir.Trajectory);
        var checkpoint = Checkpoints.Newest(_dir.Checkpoints);
        if (checkpoint is not null)
        {
            if (checkpoint.Step > records.Count)
            {
                Throw.Bszo($"Checkpoint '{checkpoint.Directory}' is newer than the trajectory log.",
                    $"a log with at least {checkpoint.Step} steps", $"{records.Count} steps", "the log was truncated; the run cannot be resumed exactly.");
            }
            Checkpoints.RequireSameBase(checkpoint, _setup.Model);
            _core.Load(checkpoint.Manifest, checkpoint.WeightsPath, checkpoint.Optimizer ?? [], checkpoint.OptimizerTensors);
            if (_store.Checksum() != checkpoint.Checksum)
            {
                Throw.Bszo($"Checkpoint '{checkpoint.Directory}' holds damaged weights.", checkpoint.Checksum, _store.Checksum(),
                    "delete this checkpoint directory; --resume then uses the one before it.");
            }
            _state = checkpoint.Trainer;
        }

        // The metrics log keeps what the surviving steps logged; a final test score is redone.
        var kept = MetricsLog.Read(_dir.Metrics)
            .Where(e => (long?)e["step"] <= records.Count && !(e.ContainsKey("test_loss") && (long?)e["step"] > 0)).ToList();
        MetricsLog.Rewrite(_dir.Metrics, kept);
        _loggedEvals = kept.Where(e => e.ContainsKey("eval_loss")).GroupBy(e => (long)e["step"]!).ToDictionary(g => g.Key, g => g.Last());
        _elapsedBase = kept.Select(e => (double?)e["elapsed"] ?? 0).DefaultIfEmpty(_state.ElapsedSeconds).Max();
        _metrics = MetricsLog.Open(_dir.Metrics);
        EvaluateZeroShot();

        long from = _state.Step;
        for (long step = from; step < records.Count; step++)
        {
            _optimizer.Replay(records[(int)step]);
            _state = _state with { Step = step + 1, ForwardPasses = _state.ForwardPasses + records[(int)step].Losses.Count };
            AfterStep(step + 1, _loggedEvals.GetValueOrDefault(step + 1));
        }
        _trajectory = TrajectoryLog.Append(_dir.Trajectory, records.Count);
        _observer.Message(checkpoint is null
            ? $"resuming at step {records.Count}: replayed {records.Count - from} logged steps from the base weights"
            : $"resuming at step {records.Count}: checkpoint {RunDirectory.StepName(checkpoint.Step)} + {records.Count - from} replayed steps");
        return (records.Count - from, checkpoint?.Directory);
    }

    /// <summary>Scores the base weights on dev and test, unless a resumed run already logged that.</summary>
    private void EvaluateZeroShot()
    {
        var logged = MetricsLog.Read(_dir.Metrics).Where(e => (long?)e["step"] == 0).ToList();
        var dev = logged.LastOrDefault(e => e.ContainsKey("eval_loss"));
        var test = logged.LastOrDefault(e => e.ContainsKey("test_loss"));
        string metric = _setup.Task.Metric;
        if (dev is not null && test is not null)
        {
            _zeroShotDev = new EvalResultSummary(0, (double)dev["eval_loss"]!, (double)dev[$"eval_{metric}"]!, metric, (int?)dev["eval_examples"] ?? 0);
            _zeroShotTest = new EvalResultSummary(0, (double)test["test_loss"]!, (double)test[$"test_{metric}"]!, metric, (int?)test["test_examples"] ?? 0);
        }
        else
        {
            if (_state.Step != 0) Throw.Bszo("The metrics log lacks the zero-shot scores.", "step-0 eval and test entries", "none",
                "the log was edited; start a new run.");
            var devResult = _evaluator.Evaluate(_setup.Data.Dev);
            var testResult = _evaluator.Evaluate(_setup.Data.Test);
            _metrics!.Write(EvalEntry(new EvalReport(0, "dev", devResult.Loss, devResult.Metric, metric, IsBest: true), devResult.Examples));
            _metrics.Write(TestEntry(0, testResult, weightsStep: 0));
            _zeroShotDev = new EvalResultSummary(0, devResult.Loss, devResult.Metric, metric, devResult.Examples);
            _zeroShotTest = new EvalResultSummary(0, testResult.Loss, testResult.Metric, metric, testResult.Examples);
        }
        _observer.Evaluated(new EvalReport(0, "dev", _zeroShotDev.Loss, _zeroShotDev.Metric, metric, IsBest: true));
        _observer.Evaluated(new EvalReport(0, "test", _zeroShotTest.Loss, _zeroShotTest.Metric, metric, IsBest: false));
        if (_state.Step == 0)
        {
            _state = _state with { BestStep = 0, BestMetric = _zeroShotDev.Metric };
            // A resumed run may already point at better weights; replaying its evaluations keeps that pointer.
            if (!_run.Resume || _best.Step is null) _best.SaveBase(_store.Checksum());
        }
    }

    /// <summary>Loads the best weights, scores them on test, and writes results.json.</summary>
    private TrainingResult Finish(LoopTimings timings)
    {
        string finalSha = _core.HostWeights().Checksum();
        var best = RunWeights.Find(_dir, "best");
        best.LoadInto(_store, _setup.Model);
        _core.Weights.CopyFromHost();
        string bestSha = _store.Checksum();
        var test = _evaluator.Evaluate(_setup.Data.Test);
        _metrics!.Write(TestEntry(_state.Step, test, _state.BestStep));
        var bestDev = _loggedEvals.GetValueOrDefault(_state.BestStep);
        double bestDevLoss = bestDev is null ? _zeroShotDev!.Loss : (double)bestDev["eval_loss"]!;
        var result = new TrainingResult
        {
            ZeroShotDev = _zeroShotDev!,
            ZeroShotTest = _zeroShotTest!,
            BestDev = new EvalResultSummary(_state.BestStep, _state.BestStep == 0 ? _zeroShotDev!.Loss : bestDevLoss, _state.BestMetric ?? double.NaN, _setup.Task.Metric, _setup.Data.Dev.Count),
            FineTunedTest = new EvalResultSummary(_state.BestStep, test.Loss, test.Metric, test.MetricName, test.Examples),
            Steps = _state.Step,
            StoppedEarly = _state.StoppedEarly,
            ForwardPasses = _state.ForwardPasses,
            BestWeightsSha256 = bestSha,
            FinalWeightsSha256 = finalSha,
            BestWeightsDirectory = best.Snapshot?.Directory,
            Timings = timings,
            PeakRssBytes = MemoryProbe.Sample().Peak,
        };
        RunResults.Save(_dir.Results, result);
        return result;
    }

    private void LogStep(StepRecord record, long liveSteps, double stepSeconds)
    {
        double loss = record.ReportedLoss;
        double? g = record.Scalars.TryGetValue("g", out var gv) ? gv : null;
        var peak = PeakRss();
        var entry = new JsonObject
        {
            ["step"] = _state.Step,
            ["epoch"] = Math.Round(_core.Batches.Epoch(_state.Step), 4),
            ["loss"] = loss,
            ["learning_rate"] = record.LearningRate,
            ["forward_passes"] = _state.ForwardPasses,
            ["elapsed"] = Math.Round(Elapsed, 3),
            ["peak_rss_mb"] = Math.Round(peak / 1048576.0, 1),
        };
        if (g is double projected) entry["projected_grad"] = projected;
        _metrics!.Write(entry);
        double stepsPerSecond = liveSteps / Math.Max(stepSeconds, 1e-9);
        long passes = liveSteps * _optimizer.ForwardPassesPerStep;
        var eta = TimeSpan.FromSeconds((_steps - _state.Step) / Math.Max(stepsPerSecond, 1e-9));
        _observer.Stepped(new StepReport(_state.Step, _steps, loss, record.LearningRate, g, _state.ForwardPasses,
            passes / Math.Max(stepSeconds, 1e-9), stepsPerSecond, eta, peak));
    }

    private JsonObject EvalEntry(EvalReport report, int examples) => new()
    {
        ["step"] = report.Step,
        ["eval_loss"] = report.Loss,
        [$"eval_{report.MetricName}"] = report.Metric,
        ["eval_examples"] = examples,
        ["is_best"] = report.IsBest,
        ["forward_passes"] = _state.ForwardPasses,
        ["elapsed"] = Math.Round(Elapsed, 3),
    };

    private void WriteTrajectory(StepRecord record)
    {
        try
        {
            _trajectory!.Write(record);
        }
        catch (IOException e)
        {
            Throw.Bszo(e, $"Cannot append step {record.Step + 1} to the trajectory log '{_dir.Trajectory}'.", found: e.Message,
                hint: $"the disk may be full. Steps 1 to {record.Step} and the checkpoints are intact: free space, then continue with --resume.");
        }
    }

    private static JsonObject TestEntry(long step, EvalResult test, long weightsStep) => new()
    {
        ["step"] = step,
        ["test_loss"] = test.Loss,
        [$"test_{test.MetricName}"] = test.Metric,
        ["test_examples"] = test.Examples,
        ["weights_step"] = weightsStep,
    };

    private double Elapsed => _elapsedBase + _clock.Elapsed.TotalSeconds;


    // Reading /proc costs about as much as a tiny model's forward pass: sample at most every 250 ms.
    private long PeakRss()
    {
        if (_peakRss == 0 || _clock.ElapsedMilliseconds - _peakRssSampledAt >= 250)
        {
            _peakRss = MemoryProbe.Sample().Peak;
            _peakRssSampledAt = _clock.ElapsedMilliseconds;
        }
        return _peakRss;
    }

    public void Dispose()
    {
        // A log that failed to write (a full disk) fails again when closed; the first failure was reported.
        try
        {
            _trajectory?.Dispose();
        }
        catch (IOException)
        {
        }
        try
        {
            _metrics?.Dispose();
        }
        catch (IOException)
        {
        }
        _core.Dispose();
    }
}
