using System.Runtime.InteropServices;
using Bszo.Onnx;
using Bszo.Ort.Graph;
using Google.Protobuf;

namespace Bszo.Tests.Support;

/// <summary>Small ONNX models built in code, written with external data like real exports.</summary>
internal static class TestModels
{
    /// <summary>
    /// A two-layer MLP classifier: x[B, D] → MatMul(W1) + b1 → Relu → MatMul(Transpose(W2)) + b2 → logits[B, C].
    /// W2 is stored [C, H] and used through Transpose, the pattern that constant folding breaks when
    /// weights are initializers.
    /// </summary>
    public static string Mlp(string directory, int inputs = 8, int hidden = 16, int classes = 3, int seed = 1, bool external = true)
    {
        var rng = new Random(seed);
        var g = new GraphBuilder("mlp");
        g.Input("x", OnnxDataType.Float, "batch", (long)inputs);
        var tensors = new List<(string Name, float[] Data, long[] Dims)>
        {
            ("w1", Randn(rng, inputs * hidden, 1 / MathF.Sqrt(inputs)), [inputs, hidden]),
            ("b1", Randn(rng, hidden, 0.1f), [hidden]),
            ("w2", Randn(rng, classes * hidden, 1 / MathF.Sqrt(hidden)), [classes, hidden]),
            ("b2", Randn(rng, classes, 0.1f), [classes]),
        };
        var h = g.Node("MatMul", ["x", "w1"], "h0");
        h = g.Node("Add", [h, "b1"], "h1");
        h = g.Node("Relu", [h], "h2");
        var w2t = g.Node("Transpose", ["w2"], "w2t", ("perm", new long[] { 1, 0 }));
        var logits = g.Node("MatMul", [h, w2t], "l0");
        logits = g.Node("Add", [logits, "b2"], "l1");
        g.Node("Identity", [logits], "logits");
        g.Output("logits", OnnxDataType.Float, "batch", (long)classes);
        return Write(g, tensors, directory, "mlp.onnx", external);
    }

    /// <summary>
    /// Linear regression with a per-example squared-error output: err[B] = (x·w + c − t)². The bias
    /// c has one element, so it is trainable only when named explicitly.
    /// </summary>
    public static string LinearRegression(string directory, float[] weights, float bias)
    {
        var g = new GraphBuilder("linreg");
        g.Input("x", OnnxDataType.Float, "batch", (long)weights.Length);
        g.Input("t", OnnxDataType.Float, "batch");
        var y = g.Node("MatMul", ["x", "w"], "y0");
        y = g.Node("Add", [y, "c"], "y1");
        var yflat = g.Node("Reshape", [y, g.Constant("flat", -1L)], "y");
        var d = g.Node("Sub", [yflat, "t"], "d");
        g.Node("Mul", [d, d], "sq_err");
        g.Output("sq_err", OnnxDataType.Float, "batch");
        return Write(g, [("w", weights, [weights.Length, 1]), ("c", [bias], [1])], directory, "linreg.onnx", external: true);
    }

    /// <summary>
    /// A separable quadratic L(w) = ½ Σᵢ hᵢ (wᵢ − cᵢ)², repeated for every example of a dummy batch input
    /// <c>x</c> [batch] (ones): output <c>q</c> [batch]. The curvatures h make it as ill-conditioned as wanted.
    /// </summary>
    public static string Quadratic(string directory, float[] curvature, float[] target, float[] start)
    {
        var g = new GraphBuilder("quadratic");
        g.Input("x", OnnxDataType.Float, "batch");
        g.Initializer("h", curvature, curvature.Length);
        g.Initializer("c", target, target.Length);
        var d = g.Node("Sub", ["w", "c"], "d");
        var sq = g.Node("Mul", [d, d], "sq");
        var weighted = g.Node("Mul", [sq, "h"], "hsq");
        var sum = g.Node("ReduceSum", [weighted], "sum", ("keepdims", 0));
        var half = g.Node("Mul", [sum, g.Constant("half", 0.5f)], "half_sum");
        g.Node("Mul", ["x", half], "q");
        g.Output("q", OnnxDataType.Float, "batch");
        return Write(g, [("w", start, [start.Length])], directory, "quadratic.onnx", external: true);
    }

    /// <summary>
    /// A bigram language model: logits[r, t, :] = table[input_ids[r, t], :], with table [vocab, vocab]
    /// trainable. Next-token log-probabilities are plain log-softmaxes of table rows, which makes
    /// candidate scores easy to compute by hand.
    /// </summary>
    public static string BigramLm(string directory, int vocab, int seed = 3)
    {
        var g = new GraphBuilder("bigram");
        g.Input("input_ids", OnnxDataType.Int64, "rows", "sequence");
        g.Input("attention_mask", OnnxDataType.Int64, "rows", "sequence");
        g.Node("Gather", ["table", "input_ids"], "logits");
        g.Output("logits", OnnxDataType.Float, "rows", "sequence", (long)vocab);
        // attention_mask is accepted (as decoders take it) but does not change a bigram's logits.
        var tensors = new List<(string, float[], long[])> { ("table", Randn(new Random(seed), vocab * vocab, 1.5f), [vocab, vocab]) };
        return Write(g, tensors, directory, "bigram.onnx", external: true);
    }

    /// <summary>
    /// A decoder-shaped bigram model whose LM head is a MatMul with a position-wise tail:
    /// logits = (Gather(embedding, ids) · head + bias) · scale, [rows, seq, vocab].
    /// </summary>
    public static string LinearLm(string directory, int vocab, int width = 5, int seed = 4)
    {
        var rng = new Random(seed);
        var g = new GraphBuilder("linear_lm");
        g.Input("input_ids", OnnxDataType.Int64, "rows", "sequence");
        g.Input("attention_mask", OnnxDataType.Int64, "rows", "sequence");
        var hidden = g.Node("Gather", ["embedding", "input_ids"], "hidden");
        var projected = g.Node("MatMul", [hidden, "head"], "projected");
        var biased = g.Node("Add", [projected, "bias"], "biased");
        g.Node("Mul", [biased, "scale"], "logits");
        g.Output("logits", OnnxDataType.Float, "rows", "sequence", (long)vocab);
        var tensors = new List<(string, float[], long[])>
        {
            ("embedding", Randn(rng, vocab * width, 1f), [vocab, width]),
            ("head", Randn(rng, width * vocab, 1f), [width, vocab]),
            ("bias", Randn(rng, vocab, 0.5f), [vocab]),
            ("scale", [1.25f], []),
        };
        return Write(g, tensors, directory, "linear_lm.onnx", external: true);
    }

    /// <summary>
    /// A per-token layer then mean pooling: x[B, T, D] → MatMul(w1) → Relu → h[B, T, D] →
    /// MatMul(w2) → [B, T, C] → ReduceMean over T → logits[B, C]. With only w2 trainable, the frozen
    /// part ends in an activation with a sequence axis.
    /// </summary>
    public static string TokenPooler(string directory, int features = 4, int classes = 2, int seed = 5)
    {
        var rng = new Random(seed);
        var g = new GraphBuilder("pooler");
        g.Input("x", OnnxDataType.Float, "batch", "sequence", (long)features);
        var h = g.Node("Relu", [g.Node("MatMul", ["x", "w1"], "h0")], "h");
        var y = g.Node("MatMul", [h, "w2"], "y");
        g.Node("ReduceMean", [y], "logits", ("axes", new long[] { 1 }), ("keepdims", 0L));
        g.Output("logits", OnnxDataType.Float, "batch", (long)classes);
        var tensors = new List<(string, float[], long[])>
        {
            ("w1", Randn(rng, features * features, 0.5f), [features, features]),
            ("w2", Randn(rng, features * classes, 0.5f), [features, classes]),
        };
        return Write(g, tensors, directory, "pooler.onnx", external: true);
    }

    public static float[] Randn(Random rng, int n, float scale)
    {
        var a = new float[n];
        for (int i = 0; i < n; i += 2)
        {
            double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
            double r = Math.Sqrt(-2 * Math.Log(u1));
            a[i] = (float)(r * Math.Cos(2 * Math.PI * u2)) * scale;
            if (i + 1 < n) a[i + 1] = (float)(r * Math.Sin(2 * Math.PI * u2)) * scale;
        }
        return a;
    }

    private static string Write(GraphBuilder g, List<(string Name, float[] Data, long[] Dims)> tensors, string directory, string file, bool external)
    {
        Directory.CreateDirectory(directory);
        var dataName = Path.GetFileNameWithoutExtension(file) + ".data";
        using var data = external ? File.Create(Path.Combine(directory, dataName)) : null;
        foreach (var (name, values, dims) in tensors)
        {
            var bytes = MemoryMarshal.AsBytes(values.AsSpan());
            var t = new TensorProto { Name = name, DataType = OnnxDataType.Float };
            t.Dims.AddRange(dims);
            if (data is null)
            {
                t.RawData = ByteString.CopyFrom(bytes);
            }
            else
            {
                long offset = data.Position;
                data.Write(bytes);
                t.DataLocation = TensorProto.Types.DataLocation.External;
                t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = dataName });
                t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            }
            g.Graph.Initializer.Add(t);
        }
        var path = Path.Combine(directory, file);
        OnnxModelFile.Save(g.Build(), path);
        return path;
    }
}
