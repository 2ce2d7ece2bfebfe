using System.Diagnostics;
using System.Runtime.InteropServices;
using Bszo.Ort.Graph;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;
using Bszo.Tests.Support;

namespace Bszo.Tests.Optimizers;

/// <summary>
/// Time spent mutating weights per step, for every method, on 11.0 M elements shaped like one
/// OPT-125m decoder layer plus its position embedding and a second FFN input matrix. Losses come
/// from a generator, so only sweeps (and SubZero's core preparation) are timed.
/// Run with: <c>dotnet test tests/Bszo.Tests -c Release --filter "FullyQualifiedName~SweepBenchmark"</c>.
/// </summary>
[Explicit("benchmark: seconds of CPU, prints a table")]
[Category("Benchmark")]
public class SweepBenchmark
{
    [Test]
    public void Sweep_time_per_step_relative_to_MeZO()
    {
        using var temp = new TempDirectory();
        var (manifest, dataPath) = WriteWeights(temp.Path);
        TestContext.Out.WriteLine($"{manifest.ElementCount / 1e6:F2} M elements in {manifest.Tensors.Count} tensors, {Environment.ProcessorCount} threads, AVX2 {SweepKernels.IsVectorized}");

        // One store and optimizer per method, stepped in turn, so that load from other processes
        // falls on all methods alike; the median step is reported.
        var methods = FamilyRuns.Methods;
        var stores = methods.Select(_ => WeightStore.Load(manifest, dataPath)).ToArray();
        var sweeps = stores.Select(s => new PerturbationSweep(s)).ToArray();
        var optimizers = methods.Select((m, i) => OptimizerCatalog.Create(m, sweeps[i])).ToArray();
        try
        {
            var rng = new Random(1);
            var losses = new DelegateLossEvaluator(() => 1 + 1e-3 * rng.NextDouble());
            const int warmup = 2, rounds = 15;
            var sweepMs = methods.Select(_ => new List<double>()).ToArray();
            var stepMs = methods.Select(_ => new List<double>()).ToArray();
            var sweepCounts = new long[methods.Length];
            for (int round = 0; round < warmup + rounds; round++)
            {
                for (int i = 0; i < methods.Length; i++)
                {
                    long count = sweeps[i].Count;
                    var before = sweeps[i].Elapsed;
                    long start = Stopwatch.GetTimestamp();
                    optimizers[i].Step(losses);
                    if (round < warmup) continue; // JIT, and SubZero's first QR
                    stepMs[i].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    sweepMs[i].Add((sweeps[i].Elapsed - before).TotalMilliseconds);
                    sweepCounts[i] += sweeps[i].Count - count;
                }
            }
            double mezo = Median(sweepMs[0]);
            TestContext.Out.WriteLine($"{"method",-12} {"fwd/step",8} {"sweeps/step",11} {"sweep ms/step",13} {"step ms",8} {"vs mezo",7}");
            for (int i = 0; i < methods.Length; i++)
            {
                TestContext.Out.WriteLine($"{methods[i],-12} {optimizers[i].ForwardPassesPerStep,8} {sweepCounts[i] / (double)rounds,11:F1} " +
                    $"{Median(sweepMs[i]),13:F1} {Median(stepMs[i]),8:F1} {Median(sweepMs[i]) / mezo,7:F2}");
            }
            var subzero = optimizers.OfType<SubZeroOptimizer>().Single();
            var clock = Stopwatch.StartNew();
            subzero.Basis.Regenerate(12345);
            TestContext.Out.WriteLine($"subzero subspace refresh (thin QR of every matrix, rank 8): {clock.Elapsed.TotalMilliseconds:F1} ms, once per {subzero.Options.RefreshInterval} steps");
        }
        finally
        {
            foreach (var o in optimizers) o.Dispose();
            foreach (var s in stores) s.Dispose();
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : 0.5 * (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]);
    }

    private static (WeightManifest, string) WriteWeights(string directory)
    {
        var shapes = new List<(string, long[])>();
        foreach (var p in new[] { "q", "k", "v", "out" })
        {
            shapes.Add(($"{p}_proj.weight", [768, 768]));
            shapes.Add(($"{p}_proj.bias", [768]));
        }
        shapes.AddRange([("ln1.weight", [768]), ("ln1.bias", [768]), ("fc1.weight", [3072, 768]), ("fc1.bias", [3072]),
            ("fc2.weight", [768, 3072]), ("fc2.bias", [768]), ("ln2.weight", [768]), ("ln2.bias", [768]),
            ("embed_positions", [2050, 768]), ("fc1b.weight", [3072, 768])]);
        var path = Path.Combine(directory, "weights.bin");
        var entries = new List<WeightEntry>();
        var rng = new Random(7);
        using (var stream = File.Create(path))
        {
            foreach (var (name, shape) in shapes)
            {
                while (stream.Position % TrainingModelBuilder.Alignment != 0) stream.WriteByte(0);
                entries.Add(new WeightEntry(name, entries.Count, OnnxDataType.Float, OnnxDataType.Float, shape, stream.Position));
                var values = TestModels.Randn(rng, (int)shape.Aggregate(1L, (a, b) => a * b), 0.02f);
                stream.Write(MemoryMarshal.AsBytes(values.AsSpan()));
            }
        }
        return (new WeightManifest { Tensors = entries }, path);
    }
}
