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
        TestContext.Out.WriteLine($"{"method",-12} {"fwd/step",8} {"sweeps/step",11} {"sweep ms/step",13} {"step ms",8} {"vs mezo",7}");
        double mezo = 0;
        foreach (var name in FamilyRuns.Methods)
        {
            using var store = WeightStore.Load(manifest, dataPath);
            var sweep = new PerturbationSweep(store);
            var optimizer = OptimizerCatalog.Create(name, sweep);
            try
            {
                var rng = new Random(1);
                var losses = new DelegateLossEvaluator(() => 1 + 1e-3 * rng.NextDouble());
                for (int i = 0; i < 2; i++) optimizer.Step(losses); // warm up (and SubZero's first QR)
                const int steps = 10;
                long sweeps = sweep.Count;
                var sweepTime = sweep.Elapsed;
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < steps; i++) optimizer.Step(losses);
                double stepMs = clock.Elapsed.TotalMilliseconds / steps;
                double sweepMs = (sweep.Elapsed - sweepTime).TotalMilliseconds / steps;
                if (name == "mezo") mezo = sweepMs;
                TestContext.Out.WriteLine($"{name,-12} {optimizer.ForwardPassesPerStep,8} {(sweep.Count - sweeps) / (double)steps,11:F1} {sweepMs,13:F1} {stepMs,8:F1} {sweepMs / mezo,7:F2}");
                if (optimizer is SubZeroOptimizer subzero)
                {
                    clock.Restart();
                    subzero.Basis.Regenerate(12345);
                    TestContext.Out.WriteLine($"  subzero subspace refresh (QR of every matrix, rank 8): {clock.Elapsed.TotalMilliseconds:F1} ms, once per {subzero.Options.RefreshInterval} steps");
                }
            }
            finally
            {
                FamilyRuns.Release(optimizer);
            }
        }
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
