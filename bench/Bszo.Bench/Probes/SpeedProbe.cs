using System.Diagnostics;
using Bszo.Bench.Measure;
using Bszo.Bench.Setup;
using Bszo.Models.Adapters;
using Bszo.Ort.Graph;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Bszo.Bench.Probes;

/// <summary>
/// Step times of every optimizer next to plain inference doing the same forward passes, in one
/// process and interleaved: each round runs two inference passes, two passes of Bszo's training
/// graph and one step of each optimizer, starting at a different item each round, so that load
/// from other processes falls on all of them alike. The memory-copy roofline is measured before
/// and after the rounds.
/// </summary>
public static class SpeedProbe
{
    public static SpeedResult Run(ProbeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var loadBefore = LoadAverage.Now();
        double copyBefore = MeasureCopy(request);
        var card = ModelCard.Load(request.ModelDirectory);
        var files = BatchFiles.Read(request.BatchDirectory);

        using var inferenceOptions = new SessionOptions { IntraOpNumThreads = request.Threads };
        using var inference = new InferenceSession(card.Resolve(card.Model), inferenceOptions);
        // The same model under one difference each, to split the training graph's extra time: without
        // pre-packed MatMul weights (what ONNX Runtime does for weights that are graph inputs), and under
        // Bszo's session settings (no spinning threads, no memory pattern) with pre-packing as usual.
        using var noPrepackOptions = new SessionOptions { IntraOpNumThreads = request.Threads };
        noPrepackOptions.AddSessionConfigEntry("session.disable_prepacking", "1");
        using var inferenceNoPrepack = new InferenceSession(card.Resolve(card.Model), noPrepackOptions);
        using var bszoOptions = new SessionSettings { IntraOpThreads = request.Threads }.CreateOptions();
        using var inferenceBszoSettings = new InferenceSession(card.Resolve(card.Model), bszoOptions);
        using var modelInputs = files.ModelInputs();
        var names = modelInputs.Values.Select(v => v.Name).ToArray();
        var values = modelInputs.Values.Select(v => v.Value).ToArray();
        string[] outputs = [card.Outputs.GetValueOrDefault("logits", "logits")];
        using var runOptions = new RunOptions();

        var prepared = PreparedModel.Open(request.PreparedDirectory ?? Throw.Bszo<string>("A speed probe needs a prepared model."));
        using var store = WeightStore.Load(prepared);
        using var session = TrainingGraphSession.Create(prepared, store, new SessionSettings { IntraOpThreads = request.Threads });
        using var fullHead = request.FullHeadPreparedDirectory is string fullHeadDirectory ? Training.Open(fullHeadDirectory, request.Threads) : null;
        var sweeps = new Dictionary<NoiseKind, PerturbationSweep>
        {
            [NoiseKind.Gaussian] = new PerturbationSweep(store, new SweepOptions { Threads = request.Threads }),
            [NoiseKind.Rademacher] = new PerturbationSweep(store, new SweepOptions { Threads = request.Threads, Noise = NoiseKind.Rademacher }),
        };
        using var batch = files.TrainingInputs(request.Decoder);
        session.Bind(batch);
        fullHead?.Session.Bind(batch);
        var forward = new TimedForward(session, sampler: null);
        var methods = request.Optimizers.Select(entry =>
        {
            var (name, noise) = ProbeRequest.Parse(entry);
            return new Method(entry, OptimizerCatalog.Create(name, sweeps[noise]), sweeps[noise], forward);
        }).ToList();
        if (fullHead is not null)
        {
            var fullForward = new TimedForward(fullHead.Session, sampler: null);
            methods.AddRange(BenchSettings.FullHeadOptimizers.Select(name =>
                new Method($"{name} {ProbeRunner.FullHeadSuffix}", OptimizerCatalog.Create(name, fullHead.Sweep), fullHead.Sweep, fullForward)));
        }
        try
        {
            var inferenceSeconds = new List<double>();
            var noPrepackSeconds = new List<double>();
            var bszoSettingsSeconds = new List<double>();
            var bszoSeconds = new List<double>();
            var fullHeadSeconds = new List<double>();

            // Items of a round: two forward passes of each kind below, then one step of each method.
            var passes = new List<(List<double> Seconds, Action Pass)>
            {
                (inferenceSeconds, () => inference.Run(runOptions, names, values, outputs).Dispose()),
                (noPrepackSeconds, () => inferenceNoPrepack.Run(runOptions, names, values, outputs).Dispose()),
                (bszoSettingsSeconds, () => inferenceBszoSettings.Run(runOptions, names, values, outputs).Dispose()),
                (bszoSeconds, () => session.Loss()),
            };
            if (fullHead is not null) passes.Add((fullHeadSeconds, () => fullHead.Session.Loss()));
            int items = passes.Count + methods.Count;
            for (int round = 0; round < request.Warmup + request.Steps; round++)
            {
                bool measured = round >= request.Warmup;
                for (int k = 0; k < items; k++)
                {
                    int item = (k + round) % items;
                    if (item < passes.Count)
                    {
                        for (int pass = 0; pass < 2; pass++)
                        {
                            long t0 = Stopwatch.GetTimestamp();
                            passes[item].Pass();
                            if (measured) passes[item].Seconds.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
                        }
                        continue;
                    }
                    var m = methods[item - passes.Count];
                    double forwardBefore = m.Forward.Seconds;
                    var sweepBefore = m.Sweep.Elapsed;
                    long countBefore = m.Sweep.Count, streamsBefore = m.Sweep.StreamCount;
                    long start = Stopwatch.GetTimestamp();
                    m.Optimizer.Step(m.Forward);
                    double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
                    if (!measured) continue;
                    m.Steps.Add(elapsed);
                    m.Forwards.Add(m.Forward.Seconds - forwardBefore);
                    m.Sweeps.Add((m.Sweep.Elapsed - sweepBefore).TotalSeconds);
                    m.SweepCount += m.Sweep.Count - countBefore;
                    m.Streams += m.Sweep.StreamCount - streamsBefore;
                }
            }

            double copyAfter = MeasureCopy(request);
            return new SpeedResult
            {
                Model = request.Model,
                Threads = request.Threads,
                Parameters = store.ElementCount,
                Rounds = request.Steps,
                Warmup = request.Warmup,
                InferenceForwardSeconds = inferenceSeconds,
                InferenceNoPrepackSeconds = noPrepackSeconds,
                InferenceBszoSettingsSeconds = bszoSettingsSeconds,
                BszoForwardSeconds = bszoSeconds,
                FullHeadForwardSeconds = fullHeadSeconds,
                Methods = methods.Select(m => new MethodTiming
                {
                    Name = m.Name,
                    ForwardsPerStep = m.Optimizer.ForwardPassesPerStep,
                    SweepsPerStep = m.SweepCount / (double)Math.Max(1, request.Steps),
                    StreamsPerStep = m.Streams / (double)Math.Max(1, request.Steps),
                    StateBytes = m.Optimizer.StateBytes,
                    StepSeconds = m.Steps,
                    ForwardSeconds = m.Forwards,
                    SweepSeconds = m.Sweeps,
                }).ToList(),
                CopyGbpsBefore = copyBefore,
                CopyGbpsAfter = copyAfter,
                CopyBytes = request.CopyBytes,
                LoadBefore = loadBefore,
                LoadAfter = LoadAverage.Now(),
            };
        }
        finally
        {
            foreach (var m in methods) (m.Optimizer as IDisposable)?.Dispose();
        }
    }

    /// <summary>One measured configuration: an optimizer with the sweep it mutates through and the forward passes it times, and its timings.</summary>
    private sealed class Method(string name, ZerothOrderOptimizer optimizer, PerturbationSweep sweep, TimedForward forward)
    {
        public string Name { get; } = name;

        public ZerothOrderOptimizer Optimizer { get; } = optimizer;

        public PerturbationSweep Sweep { get; } = sweep;

        public TimedForward Forward { get; } = forward;

        public List<double> Steps { get; } = [];

        public List<double> Forwards { get; } = [];

        public List<double> Sweeps { get; } = [];

        public long SweepCount { get; set; }

        public long Streams { get; set; }
    }

    /// <summary>A second training model in the same process (the full-LM-head preparation): its weights, session and sweep.</summary>
    private sealed class Training : IDisposable
    {
        private Training(WeightStore store, TrainingGraphSession session, int threads)
        {
            Store = store;
            Session = session;
            Sweep = new PerturbationSweep(store, new SweepOptions { Threads = threads });
        }

        public WeightStore Store { get; }

        public TrainingGraphSession Session { get; }

        public PerturbationSweep Sweep { get; }

        public static Training Open(string directory, int threads)
        {
            var prepared = PreparedModel.Open(directory);
            var store = WeightStore.Load(prepared);
            try
            {
                return new Training(store, TrainingGraphSession.Create(prepared, store, new SessionSettings { IntraOpThreads = threads }), threads);
            }
            catch
            {
                store.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            Session.Dispose();
            Store.Dispose();
        }
    }

    private static double MeasureCopy(ProbeRequest request)
    {
        using var copy = new CopyRoofline(request.CopyBytes);
        return copy.Measure(request.Threads);
    }
}
