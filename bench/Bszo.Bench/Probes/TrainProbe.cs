using System.Diagnostics;
using Bszo.Bench.Measure;
using Bszo.Bench.Setup;
using Bszo.Models.Training;
using Bszo.Ort.Graph;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;

namespace Bszo.Bench.Probes;

/// <summary>
/// Bszo fine-tuning with one optimizer, as `bszo finetune` sets it up: the prepared training graph,
/// weights placed by <see cref="TrainingWeights"/> (host memory swept with as many threads as ONNX
/// Runtime, or on a CUDA device swept by the updater graph) and bound once, the method's default options.
/// </summary>
public static class TrainProbe
{
    public static ProbeResult Run(ProbeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var name = request.Optimizers.Count == 1 ? request.Optimizers[0] : Throw.Bszo<string>("A train probe runs exactly one optimizer.", "1", $"{request.Optimizers.Count}");
        using var sampler = request.SampleMilliseconds > 0 ? new RssSampler(request.SampleMilliseconds) : null;
        var start = MemoryState.Now();
        var files = BatchFiles.Read(request.BatchDirectory);
        var clock = Stopwatch.StartNew();
        var prepared = PreparedModel.Open(request.PreparedDirectory ?? Throw.Bszo<string>("A train probe needs a prepared model."));
        var (method, noise) = ProbeRequest.Parse(name);
        var settings = new SessionSettings { IntraOpThreads = request.Threads, Device = request.Device };
        using var weights = TrainingWeights.Open(prepared, settings, TrainingWeights.ResolveSweep(null, request.Device, method), noise);
        using var session = weights.OpenSession(prepared.GraphPath, settings, prepared);
        var sweep = weights.Mutator;
        var optimizer = OptimizerCatalog.Create(method, sweep);
        try
        {
            double loadSeconds = clock.Elapsed.TotalSeconds;
            using var batch = files.TrainingInputs(request.Decoder);
            session.Bind(batch);
            var forward = new TimedForward(session, sampler);
            var loaded = MemoryState.Now();
            double initialLoss = forward.Evaluate();

            var steps = new List<double>();
            var forwards = new List<double>();
            var sweeps = new List<double>();
            var losses = new List<double>();
            var beforeReset = MemoryState.Now();
            for (int i = 0; i < request.Warmup + request.Steps; i++)
            {
                if (i == request.Warmup)
                {
                    beforeReset = MemoryState.Now();
                    MemoryProbe.ResetPeak();
                }
                if (sampler is not null) sampler.Phase = "sweep";
                double forwardBefore = forward.Seconds;
                var sweepBefore = sweep.Elapsed;
                long t0 = Stopwatch.GetTimestamp();
                var record = optimizer.Step(forward);
                double elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                if (sampler is not null) sampler.Phase = "idle";
                losses.Add(record.Scalars.TryGetValue("loss", out var l) ? l : record.Losses.Average());
                if (i < request.Warmup) continue;
                steps.Add(elapsed);
                forwards.Add(forward.Seconds - forwardBefore);
                sweeps.Add((sweep.Elapsed - sweepBefore).TotalSeconds);
            }
            return ProbeResult.Measured(request.Label ?? $"bszo-{name}", request, loadSeconds, start, loaded, beforeReset, MemoryState.Now()) with
            {
                Parameters = weights.Host.ElementCount,
                StepSeconds = steps,
                ForwardSeconds = forwards,
                SweepSeconds = sweeps,
                ForwardsPerStep = optimizer.ForwardPassesPerStep,
                InitialLoss = initialLoss,
                Losses = losses,
                StateBytes = optimizer.StateBytes,
                Samples = sampler?.Finish(),
            };
        }
        finally
        {
            (optimizer as IDisposable)?.Dispose();
        }
    }
}
