using Bszo.Ort.Device;
using Bszo.Ort.Graph;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Bszo.Tests.Device;

/// <summary>The updater graph on the CPU provider against the C# definition of the noise and the sweep.</summary>
public class SweepGraphTests
{
    /// <summary>
    /// Largest |z_graph − z_C#| allowed: twice the largest difference measured on the CPU provider,
    /// 7.2e-7 over 262,144 elements (rms 8e-8; the test prints both). It comes from ONNX Runtime's
    /// Log/Cos/Sin against the C# polynomials, scaled by the radius r ≤ 5.9.
    /// </summary>
    internal const float NoiseTolerance = 1.5e-6f;

    private static readonly SessionSettings Cpu = new() { IntraOpThreads = 1 };

    [Test]
    public void Generator_bits_equal_SquaresRng_for_counters_beyond_32_bits()
    {
        var rng = new Random(11);
        var counters = new List<ulong> { 0, 1, 15, (1UL << 32) - 1, 1UL << 32, (1UL << 32) + 1, ulong.MaxValue, ulong.MaxValue - 15 };
        while (counters.Count < 4096)
        {
            ulong c = (ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 33);
            counters.Add(c >> rng.Next(40)); // every magnitude down to 2^24, most of them at or above 2^32
        }
        ulong[] keys = [.. Enumerable.Range(0, 6).Select(t => SquaresRng.Key((ulong)rng.NextInt64(), t)), 0x9E3779B97F4A7C15UL, 1UL];

        using var session = new InferenceSession(SweepGraph.CreateSquaresProbe().ToByteArray());
        using var counterValue = OrtValue.CreateTensorValueFromMemory(counters.ToArray(), [counters.Count]);
        using var keyValue = OrtValue.CreateTensorValueFromMemory(keys, [keys.Length, 1]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [SweepGraph.ProbeCounters, SweepGraph.ProbeKeys], [counterValue, keyValue], [SweepGraph.ProbeBits]);
        var bits = results[0].GetTensorDataAsSpan<ulong>();

        Assert.That(counters.Count(c => c >= 1UL << 32), Is.GreaterThan(2000), "most counters exercise the upper half");
        for (int k = 0; k < keys.Length; k++)
        {
            for (int i = 0; i < counters.Count; i++)
            {
                ulong expected = SquaresRng.Next(counters[i], keys[k]);
                if (bits[k * counters.Count + i] != expected)
                {
                    Assert.Fail($"key {keys[k]:x16}, counter {counters[i]}: graph {bits[k * counters.Count + i]:x8}, C# {expected:x8}");
                }
            }
        }
    }

    [Test]
    public void Noise_matches_GaussianNoise_within_the_measured_tolerance()
    {
        const int n = 1 << 16;
        using var graph = SweepGraphSession.Create(OnnxDataType.Float, Cpu);
        float maxError = 0;
        double sumSquares = 0;
        int count = 0;
        foreach (long first in new[] { 0L, 16L * 12345, (1L << 32) + 16 * 7, 1L << 40 })
        {
            ulong key = SquaresRng.Key((ulong)first + 17, 3);
            var z = new float[n];
            using var value = OrtValue.CreateTensorValueFromMemory(z, [n]);
            graph.SetTerms([new NoiseTerm(key, 1f)], decay: 1f);
            graph.Run(value, value, null, first, n);
            for (int i = 0; i < n; i++)
            {
                float error = Math.Abs(z[i] - GaussianNoise.Value(key, first + i));
                maxError = Math.Max(maxError, error);
                sumSquares += (double)error * error;
                count++;
            }
        }
        TestContext.Out.WriteLine($"|z_graph − z_C#|: max {maxError:E2}, rms {Math.Sqrt(sumSquares / count):E2} over {count} elements");
        Assert.That(maxError, Is.LessThanOrEqualTo(NoiseTolerance));
        Assert.That(maxError, Is.GreaterThan(0), "ONNX Runtime's transcendental functions are not the C# polynomials; exact equality would mean the test compares the wrong things");
    }

    [Test]
    public void A_multi_term_sweep_with_decay_matches_the_CPU_kernel()
    {
        const int n = 4096 + 48;
        var rng = new Random(5);
        var initial = Support.TestModels.Randn(rng, n, 0.1f);
        NoiseTerm[] terms = [new(SquaresRng.Key(1, 0), 1e-2f), new(SquaresRng.Key(2, 0), -3e-3f), new(SquaresRng.Key(3, 0), 0.5f)];
        const float decay = 0.99f;
        const long first = 1L << 33;

        var expected = (float[])initial.Clone();
        SweepKernels.Accumulate(expected, first, terms, decay);

        var actual = (float[])initial.Clone();
        using var graph = SweepGraphSession.Create(OnnxDataType.Float, Cpu);
        using var value = OrtValue.CreateTensorValueFromMemory(actual, [n]);
        graph.SetTerms(terms, decay);
        graph.Run(value, value, null, first, n);

        float bound = terms.Sum(t => Math.Abs(t.Coefficient)) * NoiseTolerance;
        for (int i = 0; i < n; i++)
        {
            // Noise differences, plus one rounding of the sum and one of the update.
            float tolerance = bound + 2 * (MathF.BitIncrement(Math.Abs(expected[i])) - Math.Abs(expected[i]));
            Assert.That(actual[i], Is.EqualTo(expected[i]).Within(tolerance), $"element {i}");
        }
    }

    [Test]
    public void A_rademacher_sweep_matches_the_CPU_kernel_bit_for_bit()
    {
        const int n = 4096 + 64;
        var initial = Support.TestModels.Randn(new Random(6), n, 0.1f);
        NoiseTerm[] terms = [new(SquaresRng.Key(1, 0), 1e-2f), new(SquaresRng.Key(2, 0), -3e-3f), new(SquaresRng.Key(3, 0), 0.5f)];
        const float decay = 0.99f;
        foreach (long first in new[] { 0L, 32L * 12345, 1L << 33 })
        {
            var expected = (float[])initial.Clone();
            SweepKernels.AccumulateReference(expected, first, terms, decay, NoiseKind.Rademacher);

            var actual = (float[])initial.Clone();
            using var graph = SweepGraphSession.Create(OnnxDataType.Float, Cpu, NoiseKind.Rademacher);
            using var value = OrtValue.CreateTensorValueFromMemory(actual, [n]);
            graph.SetTerms(terms, decay);
            graph.Run(value, value, null, first, n);
            Assert.That(actual.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(expected.Select(BitConverter.SingleToInt32Bits)), $"first {first}");
        }
    }

    [Test]
    public void In_place_binding_gives_the_same_bits_as_a_separate_output()
    {
        const int n = 2048;
        var initial = Support.TestModels.Randn(new Random(8), n, 1f);
        NoiseTerm[] terms = [new(SquaresRng.Key(7, 1), 0.25f), new(SquaresRng.Key(8, 1), -0.125f)];
        using var graph = SweepGraphSession.Create(OnnxDataType.Float, Cpu);
        graph.SetTerms(terms, 0.9f);

        var inPlace = (float[])initial.Clone();
        using (var value = OrtValue.CreateTensorValueFromMemory(inPlace, [n])) graph.Run(value, value, null, 160, n);

        var source = (float[])initial.Clone();
        var separate = new float[n];
        using (var input = OrtValue.CreateTensorValueFromMemory(source, [n]))
        using (var output = OrtValue.CreateTensorValueFromMemory(separate, [n]))
        {
            graph.Run(input, output, null, 160, n);
        }
        Assert.That(source, Is.EqualTo(initial), "out of place, the input is left alone");
        Assert.That(inPlace.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(separate.Select(BitConverter.SingleToInt32Bits)));
        Assert.That(inPlace, Is.Not.EqualTo(initial));
    }

    [Test]
    public void Chunked_application_equals_one_run_over_the_whole_tensor()
    {
        const int n = 4096;
        var initial = Support.TestModels.Randn(new Random(9), n, 1f);
        NoiseTerm[] terms = [new(SquaresRng.Key(3, 2), 0.5f), new(SquaresRng.Key(4, 2), 2f)];
        using var graph = SweepGraphSession.Create(OnnxDataType.Float, Cpu);
        graph.SetTerms(terms, 0.95f);

        var whole = (float[])initial.Clone();
        using (var value = OrtValue.CreateTensorValueFromMemory(whole, [n])) graph.Run(value, value, null, 0, n);

        var pieces = (float[])initial.Clone();
        int[] cuts = [0, 16, 48, 1024, 1040, 4000, n];
        for (int c = 0; c + 1 < cuts.Length; c++)
        {
            using var chunk = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, pieces.AsMemory(cuts[c], cuts[c + 1] - cuts[c]), [cuts[c + 1] - cuts[c]]);
            graph.Run(chunk, chunk, null, cuts[c], cuts[c + 1] - cuts[c]);
        }
        Assert.That(pieces.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(whole.Select(BitConverter.SingleToInt32Bits)));
    }

    [TestCase(OnnxDataType.Float16)]
    [TestCase(OnnxDataType.BFloat16)]
    public void The_16_bit_variant_writes_the_masters_rounded_as_the_host_store_rounds_them(int storageType)
    {
        var masters = Support.TestModels.Randn(new Random(10), 1024, 1f);
        using var graph = SweepGraphSession.Create(storageType, Cpu);
        graph.SetTerms([new NoiseTerm(SquaresRng.Key(5, 0), 1e-2f)], 1f);
        var runtime = storageType == OnnxDataType.Float16 ? RunWithCopy<Float16>(graph, masters) : RunWithCopy<BFloat16>(graph, masters);
        var expected = new ushort[masters.Length];
        HalfBits.FromSingle(masters, storageType, expected);
        Assert.That(runtime, Is.EqualTo(expected));
    }

    private static ushort[] RunWithCopy<T>(SweepGraphSession graph, float[] masters) where T : unmanaged
    {
        var copy = new T[masters.Length];
        using var w = OrtValue.CreateTensorValueFromMemory(masters, [masters.Length]);
        using var runtime = OrtValue.CreateTensorValueFromMemory(copy, [copy.Length]);
        graph.Run(w, w, runtime, 0, masters.Length);
        return System.Runtime.InteropServices.MemoryMarshal.Cast<T, ushort>(copy).ToArray();
    }
}
