using Bszo.Models.Adapters;
using Bszo.Models.Tokenizers;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;
using Bszo.Tests.Support;

namespace Bszo.Tests.Models;

/// <summary>The committed self-pretrained decoder (models/, trained by tools/pretrain, exported by tools/export).</summary>
public class SelfPretrainedDecoderTests
{
    public const string Name = "self-pretrained-decoder-7m";

    private static string Directory => Path.Combine(Repository.Root, "models", Name);

    [Test]
    public void Its_card_says_self_pretrained_and_it_stays_under_25_mb()
    {
        var card = ModelCard.Load(Directory);
        Assert.That((card.Kind, card.Family), Is.EqualTo(("decoder-lm", "gpt2")));
        Assert.That(card.Description, Does.Contain("self-pretrained").IgnoreCase);
        long bytes = new DirectoryInfo(Directory).EnumerateFiles().Sum(f => f.Length);
        Assert.That(bytes, Is.LessThanOrEqualTo(25L * 1000 * 1000));
        var graph = OnnxModelFile.Load(card.Resolve(card.Model)).Graph;
        Assert.That(graph.Initializer.Where(t => t.Dims.Aggregate(1L, (a, b) => a * b) >= 2).Select(t => t.DataType),
            Is.All.EqualTo(OnnxDataType.Float16), "fp16 storage");
    }

    [Test]
    public void Its_tokenizer_is_the_gpt2_bpe()
    {
        // Ids printed by gpt-3-encoder, SharpToken r50k_base and CodeGenTokenizer alike (docs: models-data.md §B).
        var tokenizer = CardTokenizer.Create(ModelCard.Load(Directory));
        Assert.That(tokenizer.Encode("Hello world! The movie was surprisingly good, isn't it? 1234 ünïcödé"), Is.EqualTo(new[]
        {
            15496, 995, 0, 383, 3807, 373, 12362, 922, 11, 2125, 470, 340, 30, 1105, 2682, 6184, 120, 77, 26884, 66, 9101, 67, 2634,
        }));
    }

    [Test]
    public void The_training_graph_with_fp32_masters_reproduces_the_torch_reference()
    {
        using var temp = new TempDirectory();
        var card = ModelCard.Load(Directory);
        var reference = ReferenceLogits.Load(Directory);
        Assert.That(reference.RunOnnx(card.Resolve(card.Model)), Is.EqualTo(reference.Logits).Within(1e-4f), "plain ONNX Runtime");

        // The full head, whose logits output this compares (training's own head computes logits only where scored).
        var head = CandidateLossHead.Create(card.Outputs.GetValueOrDefault("logits", "logits"), scoredPositionsOnly: false);
        var prepared = TrainingModelBuilder.Prepare(card.Resolve(card.Model), temp["prepared"], new PrepareOptions { Loss = head });
        using var store = WeightStore.Load(prepared);
        Assert.That(store.RuntimeCopyBytes, Is.GreaterThan(0), "fp16 runtime copies beside fp32 masters");
        using var session = TrainingGraphSession.Create(prepared, store, new SessionSettings { IntraOpThreads = 1 });
        int rows = reference.Rows, seq = reference.Sequence;
        using var batch = new TensorBatch(rows);
        foreach (var (name, values) in reference.Inputs) batch.Add(name, values.SelectMany(r => r).ToArray(), rows, seq);
        batch.Add(CandidateLossHead.TargetIds, new long[rows * seq], rows, seq).Add(CandidateLossHead.TargetMask, new float[rows * seq], rows, seq)
            .Add(CandidateLossHead.CandidateMask, Enumerable.Repeat(1f, rows).ToArray(), 1, rows).Add(CandidateLossHead.Labels, new long[1], 1);
        var (logits, _) = session.Run(batch, "logits");
        Assert.That(logits, Is.EqualTo(reference.Logits).Within(1e-4f));
    }
}
