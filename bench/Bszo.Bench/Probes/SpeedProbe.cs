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
        using var modelInputs = files.ModelInputs();
        var names = modelInputs.Values.Select(v => v.Name).ToArray();
        var values = modelInputs.Values.Select(v => v.Value).ToArray();
        string[] outputs = [card.Outputs.GetValueOrDefault("logits", "logits")];
        using var runOptions = new RunOptions();

        var prepared = PreparedModel.Open(request.PreparedDirectory ?? Throw.Bszo<string>("A speed probe needs a prepared model."));
        using var store = WeightStore.Load(prepared);
        using var session = TrainingGraphSession.Create(prepared, store, new SessionSettings { IntraOpThreads = request.Threads });
        var sweep = new PerturbationSweep(store, new SweepOptions { Threads = request.Threads });
        var optimizers = request.Optimizers.Select(name => OptimizerCatalog.Create(name, sweep)).ToList();
        try
        {
            using var batch = files.TrainingInputs(request.Decoder);
            session.Bind(batch);
            var forward = new TimedForward(session, sampler: null);
            var inferenceSeconds = new List<double>();
            var bszoSeconds = new List<double>();
            var timings = optimizers.Select(_ => new Accumulator()).ToArray();

            // Items of a round: 0 inference, 1 training-graph forward, 2.. one step of each optimizer.
            int items = 2 + optimizers.Count;
            for (int round = 0; round < request.Warmup + request.Steps; round++)
            {
                bool measured = round >= request.Warmup;
                for (int k = 0; k < items; k++)
                {
                    int item = (k + round) % items;
                    if (item == 0)
                    {
                        for (int pass = 0; pass < 2; pass++)
                        {
                            long t0 = Stopwatch.GetTimestamp();
                            using (inference.Run(runOptions, names, values, outputs))
                            {
                                if (measured) inferenceSeconds.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
                            }
                        }
                    }
                    else if (item == 1)
                    {
                        for (int pass = 0; pass < 2; pass++)
                        {
                            long t0 = Stopwatch.GetTimestamp();
                            session.Loss();
                            if (measured) bszoSeconds.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
                        }
                    }
                    else
                    {
                        int m = item - 2;
                        double forwardBefore = forward.Seconds;
                        var sweepBefore = sweep.Elapsed;
                        long countBefore = sweep.Count, streamsBefore = sweep.StreamCount;
                        long t0 = Stopwatch.GetTimestamp();
                        optimizers[m].Step(forward);
                        double elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                        if (!measured) continue;
                        var t = timings[m];
                        t.Steps.Add(elapsed);
                        t.Forwards.Add(forward.Seconds - forwardBefore);
                        t.Sweeps.Add((sweep.Elapsed - sweepBefore).TotalSeconds);
                        t.SweepCount += sweep.Count - countBefore;
                        t.Streams += sweep.StreamCount - streamsBefore;
                    }
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
                BszoForwardSeconds = bszoSeconds,
                Methods = optimizers.Select((o, i) => new MethodTiming
                {
                    Name = o.Name,
                    ForwardsPerStep = o.ForwardPassesPerStep,
                    SweepsPerStep = timings[i].SweepCount / (double)Math.Max(1, request.Steps),
                    StreamsPerStep = timings[i].Streams / (double)Math.Max(1, request.Steps),
                    StateBytes = o.StateBytes,
                    StepSeconds = timings[i].Steps,
                    ForwardSeconds = timings[i].Forwards,
                    SweepSeconds = timings[i].Sweeps,
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
            foreach (var o in optimizers) (o as IDisposable)?.Dispose();
        }
    }

    private sealed class Accumulator
    {
        public List<double> Steps { get; } = [];

        public List<double> Forwards { get; } = [];

        public List<double> Sweeps { get; } = [];

        public long SweepCount { get; set; }

        public long Streams { get; set; }
    }

    private static double MeasureCopy(ProbeRequest request)
    {
        using var copy = new CopyRoofline(request.CopyBytes);
        return copy.Measure(request.Threads);
    }
}
