using Bszo.Models.Adapters;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;
using Bszo.Tests.Support;

namespace Bszo.Tests.Models;

/// <summary>
/// Training the top layers of real transformers over cached sequence activations: the tail run on
/// stored, per-example rows computes what the whole graph computes, from the weights as they are now.
/// </summary>
public class TopLayerCacheTests
{
    /// <summary>Sentences of quite different lengths, so that batches pad and stored rows are ragged.</summary>
    private static readonly string[] Sentences =
    [
        "Great.",
        "A dull, plodding film.",
        "The cast is wonderful and the story moves along at a lovely pace from the first scene to the last.",
        "Not worth the ticket.",
        "An honest, funny and surprisingly moving portrait of a family that never quite manages to say what it means.",
        "Terrible acting.",
        "It is a mess, but a glorious one.",
        "I laughed, I cried, and then I went home and thought about it for days, which is more than most films manage.",
        "Boring.",
        "A triumph of style over substance, and the style is not even very good.",
        "Sharp writing and a clever twist.",
        "The worst two hours I have spent in a cinema this year, with no redeeming qualities whatsoever.",
    ];

    [Test]
    public void Use_lite_top_layer_tail_over_stored_rows_computes_the_whole_graphs_loss_from_live_weights()
    {
        var shared = UseLiteTestModel.Instance;
        using var temp = new TempDirectory();
        var adapter = shared.Adapter;
        var prepared = TrainingModelBuilder.Prepare(shared.Card.Resolve(shared.Card.Model), temp["prepared"],
            new PrepareOptions { Loss = adapter.CreateLossHead(), TrainTopLayers = 1 });
        Assert.That(prepared.Manifest.Tensors.Select(t => t.Name), Has.All.Matches<string>(n => n.StartsWith("layer1.", StringComparison.Ordinal)
            || n.StartsWith("pooler.", StringComparison.Ordinal) || n.StartsWith("head.", StringComparison.Ordinal)));
        Assert.That(prepared.Manifest.Tensors.Select(t => t.Name), Does.Contain("layer1.attention.qkv.weight").And.Contain("head.weight"));

        var examples = Sentences.Select((s, i) => new PromptedExample(s, shared.Card.Labels, i % 2)).ToList();
        var (tailLoss, wholeLoss, cached) = CompareLosses(prepared, adapter, examples, picked: [2, 0, 9, 5, 7],
            perturbed: "layer1.ffn.up.weight");
        Assert.That(cached.Boundary.Select(b => (b.Name, b.Sequence)), Is.EqualTo(new[] { ("layer0.output", true) }));
        Assert.That(tailLoss, Is.EqualTo(wholeLoss).Within(1e-5));

        // Ragged storage: each example costs its own tokens, not those of the longest example it was computed with.
        long tokens = examples.Sum(e => (long)adapter.Encode(e.Prompt).Length);
        Assert.That(cached.CachedBytes, Is.EqualTo(tokens * 512 * sizeof(float) + tokens * sizeof(long) + examples.Count * sizeof(long)),
            "512 floats and a mask entry per token, and a label per example");
    }

    [Test]
    public void Decoder_top_layer_tail_over_stored_rows_computes_the_whole_graphs_loss_and_predictions()
    {
        using var temp = new TempDirectory();
        var card = ModelCard.Load(Path.Combine(Repository.Root, "models", SelfPretrainedDecoderTests.Name));
        var adapter = DecoderLmAdapter.Create(card);
        var prepared = TrainingModelBuilder.Prepare(card.Resolve(card.Model), temp["prepared"], new PrepareOptions { Loss = adapter.CreateLossHead(), TrainTopLayers = 1 });
        Assert.That(prepared.Manifest.Tensors.Select(t => t.Name), Has.All.Matches<string>(n => n.StartsWith("transformer.h.3.", StringComparison.Ordinal)
            || n.StartsWith("transformer.ln_f.", StringComparison.Ordinal)), "the tied embedding feeds the first layer: it stays frozen");

        var examples = Sentences.Select((s, i) => new PromptedExample(s + " It was", [" terrible", " great"], i % 2)).ToList();
        var (tailLoss, wholeLoss, cached) = CompareLosses(prepared, adapter, examples, picked: [3, 10, 2],
            perturbed: "transformer.h.3.mlp.c_fc.weight");
        Assert.That(cached.Boundary.Single().Sequence);
        Assert.That(tailLoss, Is.EqualTo(wholeLoss).Within(1e-5));

        using var store = WeightStore.Load(prepared);
        using var whole = TrainingGraphSession.Create(prepared, store, new SessionSettings { IntraOpThreads = 1 });
        using var tail = TrainingGraphSession.Create(Path.Combine(prepared.Directory, FrozenPrefix.TailFile), store, new SessionSettings { IntraOpThreads = 1 }, prepared);
        Assert.That(cached.Predict(tail, examples), Is.EqualTo(adapter.Predict(whole, examples)), "each candidate scored on stored rows");
    }

    [Test]
    public void The_cache_size_is_known_before_the_prefix_runs()
    {
        var shared = UseLiteTestModel.Instance;
        using var temp = new TempDirectory();
        var prepared = TrainingModelBuilder.Prepare(shared.Card.Resolve(shared.Card.Model), temp["prepared"],
            new PrepareOptions { Loss = shared.Adapter.CreateLossHead(), TrainTopLayers = 1 });
        using var prefix = FrozenPrefix.TryOpen(prepared, new SessionSettings { IntraOpThreads = 1 }, out var reason)!;
        Assert.That(prefix, Is.Not.Null, reason);
        var cached = CachedPrefixAdapter.Create(shared.Adapter, prefix, out reason)!;
        var examples = Sentences.Select(s => new PromptedExample(s, shared.Card.Labels, 0)).ToList();
        // Measured in chunks of 3, filled in chunks of 4 sorted by length: each example's rows are its own whichever batch it shares.
        Assert.That(cached.TryMeasure(examples, 3, out long measured, out reason), reason);
        Assert.That(cached.TryFill(examples, 4, out reason), reason);
        Assert.That(cached.ActivationBytes, Is.EqualTo(measured));
        using var longest = shared.Adapter.Collate(examples);
        long padded = longest.Values.First(v => v.Name == shared.Adapter.SequenceMask).Value.GetTensorTypeAndShape().Shape[1] * examples.Count * 512 * sizeof(float);
        TestContext.Out.WriteLine($"{measured} bytes of activations stored for {examples.Count} examples; padded to the longest: {padded}");
        Assert.That(measured, Is.LessThan(padded), "short examples store fewer positions");
    }

    /// <summary>
    /// The mean loss of <paramref name="picked"/> examples through the tail over rows stored by a
    /// <see cref="CachedPrefixAdapter"/> (filled four examples per prefix run) and through the whole
    /// graph, after the weights of <paramref name="perturbed"/> were changed in place (so both must read live weights).
    /// </summary>
    private static (double Tail, double Whole, CachedPrefixAdapter Cached) CompareLosses(PreparedModel prepared, ModelAdapter adapter,
        List<PromptedExample> examples, int[] picked, string perturbed)
    {
        var settings = new SessionSettings { IntraOpThreads = 1 };
        using var prefix = FrozenPrefix.TryOpen(prepared, settings, out var reason);
        Assert.That(prefix, Is.Not.Null, reason);
        var cached = CachedPrefixAdapter.Create(adapter, prefix!, out reason);
        Assert.That(cached, Is.Not.Null, reason);
        Assert.That(cached!.TryFill(examples, 4, out reason), reason);
        cached.ReleasePrefix();

        using var store = WeightStore.Load(prepared);
        int id = store.IdOf(perturbed);
        var weights = store.Master(id);
        var noise = TestModels.Randn(new Random(7), weights.Length, 0.05f);
        for (int i = 0; i < weights.Length; i++) weights[i] += noise[i];
        store.SyncRuntimeCopy(id, 0, weights.Length);

        using var whole = TrainingGraphSession.Create(prepared, store, settings);
        using var tail = TrainingGraphSession.Create(Path.Combine(prepared.Directory, FrozenPrefix.TailFile), store, settings, prepared);
        var batchExamples = picked.Select(i => examples[i]).ToList();
        using var wholeBatch = adapter.Collate(batchExamples);
        using var tailBatch = cached.Collate(batchExamples);
        whole.Bind(wholeBatch);
        tail.Bind(tailBatch);
        double wholeLoss = whole.Loss(), tailLoss = tail.Loss();
        TestContext.Out.WriteLine($"loss: whole graph {wholeLoss:R}, tail over stored rows {tailLoss:R}; {cached.CachedBytes} bytes stored for {examples.Count} examples");
        return (tailLoss, wholeLoss, cached);
    }
}
