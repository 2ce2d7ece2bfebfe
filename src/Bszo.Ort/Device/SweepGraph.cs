using System.Runtime.InteropServices;
using Bszo.Onnx;
using Bszo.Ort.Graph;
using Bszo.Ort.Perturbation;
using Google.Protobuf;

namespace Bszo.Ort.Device;

/// <summary>
/// Builds the updater graph: an ONNX graph that applies one chunk of a fused sweep,
/// <c>w_out = decay·w + Σⱼ cⱼ·Z(kⱼ, first + i)</c>, with the noise of <see cref="GaussianNoise"/> or
/// <see cref="RademacherNoise"/> computed inside ONNX Runtime, so that weights on an accelerator are
/// perturbed where they live.
/// </summary>
/// <remarks>
/// <para><b>Inputs.</b> <c>w</c> float[n] (a chunk of one tensor's fp32 masters; n a multiple of
/// <see cref="Alignment"/>: 16 or 32), <c>first</c> and <c>limit</c> int64 scalars (the element indices
/// of w[0] and of one past w[n−1] in the tensor; <c>first</c> a multiple of <see cref="Alignment"/>), <c>keys</c> uint64[K,1,1,1] (stream keys from
/// <see cref="SquaresRng.Key"/>), <c>coefficients</c> float[K,1,1,1], <c>decay</c> float scalar.
/// One session therefore serves every sweep, tensor and chunk. <b>Outputs.</b> <c>w_out</c>
/// float[n]; in the variants for 16-bit storage also <c>w_runtime</c>, the rounded copy the model
/// graph reads.</para>
/// <para><b>Operators.</b> Only Range, Cast, Reshape, Split, Concat, ReduceSum, Round, Log, Sqrt,
/// Cos, Sin and elementwise Add/Sub/Mul/Div, with uint64 only for Mul/Add/Div (and Sub, for
/// Rademacher bits). ONNX Runtime's CUDA
/// kernel table (docs/OperatorKernels.md) registers all of them for the types used here; it has no
/// BitShift and no bitwise And/Or/Xor, which is why the generator is written without them:
/// <c>x ≫ k</c> is <c>x / 2ᵏ</c>, and the swap of 32-bit halves is <c>x / 2³² + x·2³²</c>, the
/// product wrapping modulo 2⁶⁴ to <c>(x mod 2³²)·2³²</c>. No node reads a shape, so the CUDA
/// provider keeps every node (none is pushed to the CPU as part of a shape subgraph).</para>
/// <para><b>Layout.</b> Because <c>first</c> is group-aligned, the chunk reshaped to [n/16, 2, 8]
/// puts element 16g + l at [g, 0, l] and element 16g + 8 + l at [g, 1, l]. Squares evaluated at the
/// element index itself then yields, at [g, 0, l], the radius uniform of counter 16g + l and, at
/// [g, 1, l], the angle uniform of counter 16g + 8 + l, exactly as <see cref="GaussianNoise"/> pairs
/// them: one generator evaluation per element and stream.</para>
/// <para><b>Numerics.</b> The 24-bit integers and the uniforms u = (b + ½)·2⁻²⁴ are bit-identical to
/// the C# kernels (same IEEE operations). Box–Muller uses ONNX Runtime's Log, Sqrt, Cos and Sin
/// instead of the C# polynomials, so Gaussian z agrees to a few fp32 ulps, not bit for bit.
/// Rademacher z is exactly ±1, so its sweeps can match the host's bit for bit. The angle is
/// reduced to 2π(u − round(u)), |θ| ≤ π, which halves the rounding of the argument.</para>
/// <para><b>In place.</b> Binding <c>w</c> and <c>w_out</c> to the same buffer is safe: the only node
/// that writes <c>w_out</c> is the final elementwise Add, which reads element i of its inputs (neither
/// of which is <c>w</c> itself) and writes element i; <c>w</c> is read only by the elementwise Mul by
/// <c>decay</c>, which ONNX Runtime runs before that Add (it is one of the Add's inputs), and ONNX
/// Runtime never reuses the buffer of a graph input for intermediate results. Do not extend the
/// graph with nodes that read <c>w</c> after <c>w_out</c> is written.</para>
/// <para><b>Memory.</b> Intermediates are K·n uint64 (8 bytes per element and stream) and several
/// are live at once, so callers run the graph over chunks of a bounded size.</para>
/// </remarks>
internal static class SweepGraph
{
    public const string Weights = "w";
    public const string First = "first";
    public const string Limit = "limit";
    public const string Keys = "keys";
    public const string Coefficients = "coefficients";
    public const string Decay = "decay";
    public const string UpdatedWeights = "w_out";
    public const string RuntimeCopy = "w_runtime";

    /// <summary>Chunks of directions of <paramref name="noise"/> start and end on multiples of this many elements: a Gaussian group, a Rademacher word.</summary>
    public static int Alignment(NoiseKind noise) => noise == NoiseKind.Rademacher ? RademacherNoise.WordSize : GaussianNoise.GroupSize;

    /// <summary>Inputs and output of the generator probe built by <see cref="CreateSquaresProbe"/>.</summary>
    public const string ProbeCounters = "counters", ProbeKeys = "keys", ProbeBits = "bits";

    private const float TwoPi = 6.28318530717958647692f;
    private const float Scale24 = 5.9604645e-08f; // 2^-24, as in GaussianMath

    /// <summary>
    /// The updater graph for directions of <paramref name="noise"/>. With <paramref name="runtimeType"/>
    /// float16 or bfloat16 it also writes the rounded runtime copy <c>w_runtime</c>; with float it writes only <c>w_out</c>.
    /// </summary>
    public static ModelProto Create(int runtimeType, NoiseKind noise = NoiseKind.Gaussian)
    {
        if (!OnnxDataType.IsTrainable(runtimeType))
        {
            Throw.Bszo($"The updater graph cannot write a runtime copy of type {OnnxDataType.Name(runtimeType)}.", "float, float16 or bfloat16");
        }
        var g = new GraphBuilder("bszo_sweep");
        g.Input(Weights, OnnxDataType.Float, "n");
        g.Input(First, OnnxDataType.Int64);
        g.Input(Limit, OnnxDataType.Int64);
        g.Input(Keys, OnnxDataType.UInt64, "streams", 1L, 1L, 1L);
        g.Input(Coefficients, OnnxDataType.Float, "streams", 1L, 1L, 1L);
        g.Input(Decay, OnnxDataType.Float);

        // z for every (stream, element): [K, ...] with the elements of the chunk in order along the other axes.
        var z = noise == NoiseKind.Rademacher ? AppendRademacher(g) : AppendGaussian(g);

        // Σⱼ cⱼ·zⱼ in fp32, then decay·w + sum, the same two roundings as SweepKernels.
        var terms = g.Node("Mul", [z, Coefficients], "terms");
        var sum = g.Node("ReduceSum", [terms, g.Constant("stream_axis", 0)], "noise_sum", ("keepdims", 0));
        var flat = g.Node("Reshape", [sum, g.Constant("flat", -1)], "noise_flat");
        var decayed = g.Node("Mul", [Weights, Decay], "decayed");
        g.Node("Add", [decayed, flat], UpdatedWeights);
        g.Output(UpdatedWeights, OnnxDataType.Float, "n");
        if (runtimeType != OnnxDataType.Float)
        {
            g.Node("Cast", [UpdatedWeights], RuntimeCopy, ("to", runtimeType));
            g.Output(RuntimeCopy, runtimeType, "n");
        }
        return g.Build();
    }

    /// <summary>Gaussian z of <see cref="GaussianNoise"/> as [K, n/16, 2, 8] (see the layout in the remarks).</summary>
    private static string AppendGaussian(GraphBuilder g)
    {
        // Element indices as generator counters, laid out [group, half, lane].
        var index = g.Node("Range", [First, Limit, g.Scalar("one", 1)], "index");
        var counters = g.Node("Cast", [index], "counters", ("to", OnnxDataType.UInt64));
        var grid = g.Node("Reshape", [counters, g.Constant("group_shape", -1, 2, GaussianNoise.GroupSize / 2)], "counter_grid");

        // [K, G, 2, 8]: top 24 bits of squares32 for every (stream, element).
        var product = g.Node("Mul", [grid, Keys], "counter_times_key");
        var bits24 = AppendSquares(g, product, Keys, finalShift: 40);

        // Uniforms exactly as GaussianMath forms them: u = ((float)b + 0.5) · 2^-24.
        var asFloat = g.Node("Cast", [bits24], "bits_f32", ("to", OnnxDataType.Float));
        var uniform = g.Node("Mul", [g.Node("Add", [asFloat, g.Constant("half", 0.5f)], "bits_plus_half"), g.Constant("scale24", Scale24)], "uniform");
        var halves = g.Node("Split", [uniform, g.Constant("split", 1, 1)], ["radius_uniform", "angle_uniform"], ("axis", 2));

        // Box–Muller: r = √(−2 ln u₁), θ = 2π(u₂ − round(u₂)).
        var radius = g.Node("Sqrt", [g.Node("Mul", [g.Node("Log", [halves[0]], "log_u"), g.Constant("minus_two", -2f)], "minus_two_log_u")], "radius");
        var centred = g.Node("Sub", [halves[1], g.Node("Round", [halves[1]], "angle_round")], "angle_centred");
        var angle = g.Node("Mul", [centred, g.Constant("two_pi", TwoPi)], "angle");
        var cosine = g.Node("Mul", [radius, g.Node("Cos", [angle], "cos")], "z_cos");
        var sine = g.Node("Mul", [radius, g.Node("Sin", [angle], "sin")], "z_sin");
        return g.Node("Concat", [cosine, sine], "z", ("axis", 2));
    }

    /// <summary>
    /// Rademacher z of <see cref="RademacherNoise"/> as [K, 1, n/32, 32]: one generator output per stream
    /// and 32-element word (counter = element index / 32), whose bit l is read as
    /// <c>(b / 2ˡ) − 2·(b / 2ˡ⁺¹)</c> with integer division (no bitwise operators), and z = 1 − 2·bit,
    /// exactly ±1 as on the host.
    /// </summary>
    private static string AppendRademacher(GraphBuilder g)
    {
        var wordSize = g.Scalar("word_size", RademacherNoise.WordSize);
        var firstWord = g.Node("Div", [First, wordSize], "first_word");
        var limitWord = g.Node("Div", [Limit, wordSize], "limit_word");
        var words = g.Node("Range", [firstWord, limitWord, g.Scalar("one", 1)], "words");
        var counters = g.Node("Cast", [words], "word_counters", ("to", OnnxDataType.UInt64));
        var column = g.Node("Reshape", [counters, g.Constant("word_column", -1, 1)], "word_column");

        // [K, 1, W, 1]: the 32-bit output of squares32 for every (stream, word).
        var product = g.Node("Mul", [column, Keys], "counter_times_key");
        var bits32 = AppendSquares(g, product, Keys, finalShift: 32);

        // [K, 1, W, 32]: bit l of each output, as 0 or 1.
        var powers = new ulong[RademacherNoise.WordSize];
        for (int l = 0; l < powers.Length; l++) powers[l] = 1UL << l;
        var shifted = g.Node("Div", [bits32, UInt64Constant(g, "bit_weights", powers, [powers.Length])], "bits_shifted");
        var two = UInt64Constant(g, "two", [2UL], []);
        var bit = g.Node("Sub", [shifted, g.Node("Mul", [g.Node("Div", [shifted, two], "bits_halved"), two], "bits_even")], "bit");
        var bitFloat = g.Node("Cast", [bit], "bit_f32", ("to", OnnxDataType.Float));
        return g.Node("Sub", [g.Constant("one_f32", 1f), g.Node("Mul", [bitFloat, g.Constant("two_f32", 2f)], "two_bits")], "z");
    }

    /// <summary>
    /// A graph that exposes the generator itself: <c>bits</c>[K, n] = squares32(counters[i], keys[k])
    /// as uint64, built by the same code as the updater graph (only the final shift differs).
    /// </summary>
    public static ModelProto CreateSquaresProbe()
    {
        var g = new GraphBuilder("bszo_squares_probe");
        g.Input(ProbeCounters, OnnxDataType.UInt64, "n");
        g.Input(ProbeKeys, OnnxDataType.UInt64, "streams", 1L);
        var product = g.Node("Mul", [ProbeCounters, ProbeKeys], "counter_times_key");
        g.Node("Identity", [AppendSquares(g, product, ProbeKeys, finalShift: 32)], ProbeBits);
        g.Output(ProbeBits, OnnxDataType.UInt64, "streams", "n");
        return g.Build();
    }

    /// <summary>
    /// Appends squares32 (four square-and-add rounds with half swaps between them, see
    /// <see cref="SquaresRng.Next"/>) given x = counter·key, and returns
    /// <c>(x·x + z) ≫ <paramref name="finalShift"/></c> of the last round.
    /// </summary>
    private static string AppendSquares(GraphBuilder g, string x, string key, int finalShift)
    {
        var two32 = UInt64Constant(g, "two_pow_32", [1UL << 32], []);
        var y = x;
        var z = g.Node("Add", [y, key], "squares_z");
        x = SquareAddSwap(g, x, y, two32);
        x = SquareAddSwap(g, x, z, two32);
        x = SquareAddSwap(g, x, y, two32);
        var last = g.Node("Add", [g.Node("Mul", [x, x], "squares_sq"), z], "squares_last");
        return g.Node("Div", [last, UInt64Constant(g, "final_shift", [1UL << finalShift], [])], "squares_bits");
    }

    /// <summary>x ← swap(x·x + add), with swap(v) = v / 2³² + v·2³² (mod 2⁶⁴).</summary>
    private static string SquareAddSwap(GraphBuilder g, string x, string add, string two32)
    {
        var t = g.Node("Add", [g.Node("Mul", [x, x], "squares_sq"), add], "squares_t");
        var high = g.Node("Div", [t, two32], "squares_high");
        var low = g.Node("Mul", [t, two32], "squares_low");
        return g.Node("Add", [high, low], "squares_x");
    }

    private static string UInt64Constant(GraphBuilder g, string prefix, ulong[] values, long[] dims)
    {
        var name = g.Fresh(prefix);
        var tensor = new TensorProto
        {
            Name = name,
            DataType = OnnxDataType.UInt64,
            RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())),
        };
        tensor.Dims.AddRange(dims);
        g.Graph.Initializer.Add(tensor);
        return name;
    }
}
