using Bszo.Models.Adapters;
using Bszo.Models.Evaluation;
using Bszo.Models.Tasks;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;
using Bszo.Tests.Support;

namespace Bszo.Tests.Models;

public class GreedyDecodingTests
{
    // A character bigram language model as a real ONNX graph: logits[b] = table[token[b]].
    private const string Vocabulary = "\0: parisx?\n";

    [Test]
    public void Greedy_decoding_follows_the_model_and_f1_scores_the_answers()
    {
        using var temp = new TempDirectory();
        var prepared = BigramModel(temp);
        using var store = WeightStore.Load(prepared);
        using var session = TrainingGraphSession.Create(prepared, store, new SessionSettings { IntraOpThreads = 1 });
        var decoder = new BigramDecoder(new ModelCard { Kind = "decoder-lm", Directory = temp.Path });

        var answers = GreedyDecoding.Generate(decoder, session, ["Capital? Answer:", "Why?", "pa"], new GenerationOptions { MaxNewTokens = 20 });
        Assert.That(answers, Is.EqualTo(new[] { "paris", "", "ris" }));

        var task = GenerationTask.Create("qa", "test QA", "{q}", "answers");
        var examples = new List<PromptedExample>
        {
            new("Capital? Answer:", [" Paris", " Paris, France"], 0),
            new("Why?", [" because"], 0),
        };
        var result = new TaskEvaluator(decoder, session, task).Evaluate(examples);
        Assert.That(result.MetricName, Is.EqualTo("f1"));
        Assert.That(result.Metric, Is.EqualTo(0.5).Within(1e-12)); // "paris" scores 1 against "Paris", "" scores 0
        Assert.That(double.IsFinite(result.Loss));
    }

    [Test]
    public void Generation_tasks_need_a_decoder()
    {
        using var f = new Ort.MlpFixture();
        var adapter = FeatureClassifierAdapter.Create(new ModelCard { Kind = "feature-classifier", Inputs = new() { ["features"] = "x" }, Outputs = new() { ["logits"] = "logits" } });
        var e = Assert.Throws<Bszo.Ort.BszoException>(() => _ = new TaskEvaluator(adapter, f.Session, TaskRegistry.Get("squad")))!;
        Assert.That(e.Message, Does.Contain("decoder"));
    }

    private static PreparedModel BigramModel(TempDirectory temp)
    {
        int v = Vocabulary.Length;
        var table = new float[v * v];
        void Next(char from, char to) => table[Vocabulary.IndexOf(from) * v + Vocabulary.IndexOf(to)] = 5f;
        for (int i = 0; i < v; i++) table[i * v] = 1f; // end of sequence unless a bigram says otherwise
        Next(':', ' ');
        Next(' ', 'p');
        Next('p', 'a');
        Next('a', 'r');
        Next('r', 'i');
        Next('i', 's');
        Next('s', '\n');
        var g = new GraphBuilder("bigram");
        g.Input("token", OnnxDataType.Int64, "batch");
        g.Initializer("table", table, v, v);
        g.Node("Gather", ["table", "token"], "logits", ("axis", 0L));
        g.Output("logits", OnnxDataType.Float, "batch", (long)v);
        Directory.CreateDirectory(temp["src"]);
        var path = temp["src/bigram.onnx"];
        OnnxModelFile.Save(g.Build(), path);
        return TrainingModelBuilder.Prepare(path, temp["prepared"], new PrepareOptions { Loss = ClassificationLossHead.Create("logits") });
    }

    /// <summary>A character-level decoder adapter over the bigram graph.</summary>
    private sealed class BigramDecoder(ModelCard card) : ModelAdapter(card), IGreedyDecoder
    {
        public override string Kind => "decoder-lm";

        public IReadOnlyCollection<int> StopTokens { get; } = [0];

        public override LossHead CreateLossHead() => ClassificationLossHead.Create("logits");

        // Teacher forcing on the first answer character after the prompt's last one.
        public override TensorBatch Collate(IReadOnlyList<PromptedExample> examples) =>
            Batch(examples.Select(e => (long)Id(e.Prompt[^1])).ToArray(), examples.Select(e => (long)Id(e.Candidates[e.Label][0])).ToArray());

        public override int[] Predict(TrainingGraphSession session, IReadOnlyList<PromptedExample> examples) => throw new NotSupportedException();

        public IReadOnlyList<int> Encode(string text) => text.Select(Id).ToList();

        public string Decode(IReadOnlyList<int> tokens) => new(tokens.Select(t => Vocabulary[t]).ToArray());

        public int[] NextTokens(TrainingGraphSession session, IReadOnlyList<IReadOnlyList<int>> sequences)
        {
            using var batch = Batch(sequences.Select(s => (long)s[^1]).ToArray(), new long[sequences.Count]);
            var (logits, shape) = session.Run(batch, "logits");
            int v = (int)shape[1];
            return Enumerable.Range(0, sequences.Count).Select(b =>
            {
                var row = logits.AsSpan(b * v, v);
                int best = 0;
                for (int k = 1; k < v; k++) if (row[k] > row[best]) best = k;
                return best;
            }).ToArray();
        }

        private static TensorBatch Batch(long[] tokens, long[] labels) =>
            new TensorBatch(tokens.Length).Add("token", tokens, tokens.Length).Add("labels", labels, labels.Length);

        private static int Id(char c)
        {
            int id = Vocabulary.IndexOf(char.ToLowerInvariant(c), StringComparison.Ordinal);
            return id > 0 ? id : Vocabulary.IndexOf('x', StringComparison.Ordinal);
        }
    }
}
