using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;
using Bszo.Tests.Support;

namespace Bszo.Tests.Graph;

public class FrozenPrefixTests
{
    private static PreparedModel PrepareMlp(TempDirectory temp, params string[] trainable) =>
        TrainingModelBuilder.Prepare(TestModels.Mlp(temp["model"]), temp["prepared"],
            new PrepareOptions { Loss = ClassificationLossHead.Create("logits"), Trainable = trainable });

    private static TensorBatch Batch(float[] x, long[] labels) =>
        new TensorBatch(labels.Length).Add("x", x, labels.Length, 8).Add("labels", labels, labels.Length);

    [Test]
    public void The_tail_over_the_prefix_rows_computes_the_whole_graphs_loss_and_reads_the_live_weights()
    {
        using var temp = new TempDirectory();
        var prepared = PrepareMlp(temp, "w2", "b2");
        using var prefix = FrozenPrefix.TryOpen(prepared, new SessionSettings { IntraOpThreads = 1 }, out var reason);
        Assert.That(prefix, Is.Not.Null, reason);
        Assert.That(prefix!.Boundary.Select(b => (b.Name, b.Sequence, b.RowLength)), Is.EqualTo(new[] { ("h2", false, 16) }), "the cut is the frozen layer's ReLU output");
        Assert.That(prefix.PassThrough, Is.EqualTo(new[] { "labels" }), "label plumbing is recomputed by the tail, not stored");

        var rng = new Random(4);
        var x = TestModels.Randn(rng, 5 * 8, 1f);
        long[] labels = [0, 2, 1, 1, 0];
        using var store = WeightStore.Load(prepared);
        using var whole = TrainingGraphSession.Create(prepared, store, new SessionSettings { IntraOpThreads = 1 });
        using var tail = TrainingGraphSession.Create(prefix.TailGraphPath, store, new SessionSettings { IntraOpThreads = 1 }, prepared);
        using var batch = Batch(x, labels);
        var rows = prefix.Run(batch);
        using var tailBatch = new TensorBatch(5).Add("h2", rows[0].Values, 5, 16).Add("labels", (long[])labels.Clone(), 5);
        whole.Bind(batch);
        tail.Bind(tailBatch);

        double before = whole.Loss();
        Assert.That(tail.Loss(), Is.EqualTo(before).Within(1e-6));
        foreach (ref var w in store.Master(store.IdOf("w2"))) w *= 1.5f;
        double after = whole.Loss();
        Assert.That(after, Is.Not.EqualTo(before).Within(1e-4), "the perturbation matters");
        Assert.That(tail.Loss(), Is.EqualTo(after).Within(1e-6), "the tail reads the mutated weights in place");
        Assert.That(File.Exists(Path.Combine(prepared.Directory, FrozenPrefix.PrefixFile)));
    }

    [Test]
    public void No_split_is_offered_when_the_first_layer_trains()
    {
        using var temp = new TempDirectory();
        var prepared = PrepareMlp(temp, "w1", "b1", "w2", "b2");
        using var prefix = FrozenPrefix.TryOpen(prepared, new SessionSettings { IntraOpThreads = 1 }, out var reason);
        Assert.That(prefix, Is.Null);
        Assert.That(reason, Does.Contain("first layer"));
    }

    [Test]
    public void An_activation_with_a_sequence_axis_is_stored_per_position()
    {
        using var temp = new TempDirectory();
        var prepared = TrainingModelBuilder.Prepare(TestModels.TokenPooler(temp["model"]), temp["prepared"],
            new PrepareOptions { Loss = ClassificationLossHead.Create("logits"), Trainable = ["w2"] });
        using var prefix = FrozenPrefix.TryOpen(prepared, new SessionSettings { IntraOpThreads = 1 }, out var reason);
        Assert.That(prefix, Is.Not.Null, reason);
        var h = prefix!.Boundary.Single();
        Assert.That((h.Name, h.Sequence, h.RowLength, h.Describe()), Is.EqualTo(("h", true, 4, "[sequence×4]")));
        Assert.That(prefix.SymbolicAxis("x", 1), Is.EqualTo("sequence"));
        using var batch = new TensorBatch(3).Add("x", TestModels.Randn(new Random(2), 3 * 5 * 4, 1f), 3, 5, 4).Add("labels", new long[3], 3);
        Assert.That(prefix.Run(batch)[0].Shape, Is.EqualTo(new long[] { 3, 5, 4 }));
    }

    [Test]
    public void A_value_no_data_input_went_into_is_computed_by_the_tail_not_stored()
    {
        // A tied output layer: logits = h · Transpose(E) with E frozen; h = Relu(x·w1)·w2 with w2 trainable.
        // Transpose(E) is the same for every example: the tail computes it, only h0 is stored.
        var g = new GraphBuilder("tied");
        g.Input("x", OnnxDataType.Float, "batch", 4L);
        g.Input("w2", OnnxDataType.Float, 4L, 4L);
        g.Initializer("w1", TestModels.Randn(new Random(1), 16, 0.5f), 4, 4);
        g.Initializer("E", TestModels.Randn(new Random(2), 12, 0.5f), 3, 4);
        var h0 = g.Node("Relu", [g.Node("MatMul", ["x", "w1"], "x1")], "h0");
        var eT = g.Node("Transpose", ["E"], "E_t", ("perm", new long[] { 1, 0 }));
        g.Node("MatMul", [g.Node("MatMul", [h0, "w2"], "h"), eT], "logits");
        g.Output("logits", OnnxDataType.Float, "batch", 3L);

        var split = FrozenPrefixSplit.Create(g.Build(), ["w2"], _ => false, out var reason);
        Assert.That(split, Is.Not.Null, reason);
        Assert.That(split!.Boundary, Is.EqualTo(new[] { "h0" }));
        Assert.That(split.TailNodes, Is.EqualTo(3), "both MatMuls and the Transpose");
    }

    [Test]
    public void The_split_keeps_every_node_exactly_once_in_graph_order()
    {
        using var temp = new TempDirectory();
        var prepared = PrepareMlp(temp, "w2", "b2");
        var training = OnnxModelFile.Load(prepared.GraphPath);
        var split = FrozenPrefixSplit.Create(training, ["w2", "b2"], name => name != "h2", out var reason)!;
        Assert.That(split, Is.Not.Null, reason);
        var tail = split.Tail([GraphBuilder.ValueInfo("h2", 1, "batch", 16L)]);
        var prefixOutputs = split.Prefix.Graph.Node.SelectMany(n => n.Output).ToList();
        var tailOutputs = tail.Graph.Node.SelectMany(n => n.Output).ToList();
        Assert.That(prefixOutputs.Intersect(tailOutputs), Is.Empty);
        var all = training.Graph.Node.SelectMany(n => n.Output).ToList();
        Assert.That(all.Where(o => !prefixOutputs.Contains(o) && !tailOutputs.Contains(o)), Is.Empty, "no node of the loss is lost");
        Assert.That(tailOutputs, Is.EqualTo(all.Where(tailOutputs.Contains)), "tail nodes keep the original order");
        Assert.That(tail.Graph.Output.Select(o => o.Name), Does.Contain(LossHead.LossOutput));
        Assert.That(tail.Graph.Input.Select(i => i.Name), Is.SupersetOf(new[] { "w2", "b2", "h2" }).And.Not.Contains("x"));
    }

    [Test]
    public void Plumbing_derived_from_data_inputs_alone_is_recomputed_by_the_tail_not_stored()
    {
        // h = Relu(x·w1) with w1 frozen; mf = Cast(m) · 2 from a data input only; y = (h·w2) ⊙ mf with w2 trainable.
        var g = new GraphBuilder("masked");
        g.Input("x", OnnxDataType.Float, "batch", 4L);
        g.Input("m", OnnxDataType.Int64, "batch", 2L);
        g.Input("w2", OnnxDataType.Float, 4L, 2L);
        g.Initializer("w1", TestModels.Randn(new Random(1), 16, 0.5f), 4, 4);
        var h = g.Node("Relu", [g.Node("MatMul", ["x", "w1"], "h0")], "h");
        var mf = g.Node("Mul", [g.Node("Cast", ["m"], "m_float", ("to", (long)OnnxDataType.Float)), g.Constant("two", 2f)], "mf");
        g.Node("Mul", [g.Node("MatMul", [h, "w2"], "y0"), mf], "y");
        g.Output("y", OnnxDataType.Float, "batch", 2L);

        var split = FrozenPrefixSplit.Create(g.Build(), ["w2"], _ => false, out var reason);
        Assert.That(split, Is.Not.Null, reason);
        Assert.That(split!.Boundary, Is.EqualTo(new[] { "h" }), "only the weight-derived activation is stored");
        Assert.That(split.PassThrough, Is.EqualTo(new[] { "m" }));
        Assert.That(split.TailNodes, Is.EqualTo(4), "MatMul and Mul, and the mask's Cast and Mul");
        Assert.That(split.PrefixNodes, Is.EqualTo(2));
    }
}
