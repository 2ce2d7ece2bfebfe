using System.Diagnostics;
using Bszo.Ort.Device;
using Bszo.Ort.Graph;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Bszo.Tests.Device;

/// <summary>
/// Throughput and memory of the updater graph on the CPU provider, against the C# AVX2 sweep. A
/// measurement, so it runs only when asked for:
/// <c>dotnet test tests/Bszo.Tests -c Release --filter Category=Benchmark</c> (the memory case one
/// test case per process, e.g. <c>--filter "Name=Updater_graph_peak_memory\(3\)"</c>, since freed
/// memory stays with the process). Both check that the graph agrees with the C# kernel, so a wrong
/// graph cannot report a speed.
/// </summary>
[Explicit("measurement: run with --filter Category=Benchmark")]
[Category("Benchmark")]
public class SweepGraphThroughput
{
    private const int Elements = 1 << 24;
    private const int Chunk = 1 << 22;

    [TestCase(1, 1)]
    [TestCase(3, 1)]
    [TestCase(1, 2)]
    public void Updater_graph_throughput(int streams, int threads)
    {
        var terms = Terms(streams);
        var initial = Support.TestModels.Randn(new Random(1), Elements, 0.1f);

        // C#: blocks of 2^15 elements over `threads` threads, as PerturbationSweep runs them.
        var host = (float[])initial.Clone();
        SweepKernels.Accumulate(host.AsSpan(0, 1 << 15), 0, terms, 1f); // JIT warm-up on a prefix
        host = (float[])initial.Clone();
        var watch = Stopwatch.StartNew();
        Parallel.For(0, Elements >> 15, new ParallelOptions { MaxDegreeOfParallelism = threads },
            b => SweepKernels.Accumulate(host.AsSpan(b << 15, 1 << 15), (long)b << 15, terms, 1f));
        double hostSeconds = watch.Elapsed.TotalSeconds;

        var graphWeights = (float[])initial.Clone();
        using var graph = SweepGraphSession.Create(OnnxDataType.Float, new SessionSettings { IntraOpThreads = threads });
        graph.SetTerms(terms, 1f);
        using (var warm = OrtValue.CreateTensorValueFromMemory(new float[Chunk], [Chunk])) graph.Run(warm, warm, null, 0, Chunk);
        watch.Restart();
        for (int start = 0; start < Elements; start += Chunk)
        {
            using var view = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, graphWeights.AsMemory(start, Chunk), [Chunk]);
            graph.Run(view, view, null, start, Chunk);
        }
        double graphSeconds = watch.Elapsed.TotalSeconds;

        TestContext.Out.WriteLine($"K={streams} threads={threads}: C# {Elements / hostSeconds / 1e6:F1} M elements/s, " +
            $"graph {Elements / graphSeconds / 1e6:F2} M elements/s (C# is {graphSeconds / hostSeconds:F0}x faster)");
        AssertAgree(graphWeights, host, terms);
    }

    [TestCase(1)]
    [TestCase(3)]
    public void Updater_graph_peak_memory(int streams)
    {
        var terms = Terms(streams);
        var weights = Support.TestModels.Randn(new Random(2), Chunk, 0.1f);
        var expected = (float[])weights.Clone();
        SweepKernels.Accumulate(expected, 0, terms, 1f);
        GC.Collect();
        MemoryProbe.ResetPeak();
        long before = MemoryProbe.Sample().Resident;
        using (var graph = SweepGraphSession.Create(OnnxDataType.Float, new SessionSettings { IntraOpThreads = 1 }))
        using (var view = OrtValue.CreateTensorValueFromMemory(weights, [Chunk]))
        {
            graph.SetTerms(terms, 1f);
            graph.Run(view, view, null, 0, Chunk);
        }
        long peak = MemoryProbe.Sample().Peak - before;
        TestContext.Out.WriteLine($"K={streams}, chunk 2^{Math.Log2(Chunk)}: session + one run +{peak >> 20} MiB peak = {(double)peak / Chunk:F0} B per chunk element");
        AssertAgree(weights, expected, terms);
    }

    private static NoiseTerm[] Terms(int streams) =>
        [.. Enumerable.Range(0, streams).Select(j => new NoiseTerm(SquaresRng.Key((ulong)j + 1, 0), 1e-3f * (j + 1)))];

    private static void AssertAgree(float[] graph, float[] host, NoiseTerm[] terms)
    {
        float maxDifference = 0;
        for (int i = 0; i < graph.Length; i++) maxDifference = Math.Max(maxDifference, Math.Abs(graph[i] - host[i]));
        // Noise differences plus one rounding of weights below 0.6 in magnitude.
        Assert.That(maxDifference, Is.LessThanOrEqualTo(terms.Sum(t => t.Coefficient) * SweepGraphTests.NoiseTolerance + 6e-8f));
    }
}
