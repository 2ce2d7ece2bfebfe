using Bszo.Models.Adapters;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;
using Bszo.Tests.Support;

namespace Bszo.Tests.Models;

/// <summary>The decoder adapter on exported tiny decoders: collation, in-graph loss against the logits, prediction.</summary>
public class DecoderLmAdapterTests
{
    private static readonly PromptedExample[] Sst2Like =
    [
        new("a gripping , funny film . It was", [" terrible", " great"], 1),
        new("dull and far too long . It was", [" terrible", " great"], 0),
        new("the cast is fine . It was", [" bad", " okay", " really good"], 2),
    ];

    [Test]
    public void Collate_lays_out_examples_by_candidates_with_shifted_targets()
    {
        var adapter = DecoderLmAdapter.Create(ModelCard.Load(ExportFixtures.Model("gpt2")));
        using var batch = adapter.Collate(Sst2Like);
        var ids = Values<long>(batch, "input_ids", out var shape);
        var mask = Values<long>(batch, "attention_mask", out _);
        var positions = Values<long>(batch, "position_ids", out _);
        var targets = Values<long>(batch, CandidateLossHead.TargetIds, out _);
        var targetMask = Values<float>(batch, CandidateLossHead.TargetMask, out _);
        var candidateMask = Values<float>(batch, CandidateLossHead.CandidateMask, out var gridShape);

        Assert.That(batch.Examples, Is.EqualTo(3));
        Assert.That(shape[0], Is.EqualTo(9), "3 examples × 3 candidate slots");
        Assert.That(gridShape, Is.EqualTo(new long[] { 3, 3 }));
        Assert.That(candidateMask, Is.EqualTo(new float[] { 1, 1, 0, 1, 1, 0, 1, 1, 1 }));
        Assert.That(Values<long>(batch, CandidateLossHead.Labels, out _), Is.EqualTo(new long[] { 1, 0, 2 }));
        int seq = (int)shape[1];
        for (int r = 0; r < 9; r++)
        {
            int e = r / 3, c = r % 3;
            var row = ids.AsSpan(r * seq, seq).ToArray();
            if (c >= Sst2Like[e].Candidates.Count)
            {
                Assert.That(mask.AsSpan(r * seq, seq).ToArray(), Is.All.EqualTo(0), "unused slot is padding");
                continue;
            }
            var answer = adapter.Tokenizer.Encode(Sst2Like[e].Candidates[c]);
            var prompt = adapter.Tokenizer.Encode(Sst2Like[e].Prompt);
            int length = prompt.Count + answer.Count;
            Assert.That(row.Take(length), Is.EqualTo(prompt.Concat(answer).Select(i => (long)i)), "prompt then candidate, no BOS for GPT-2");
            Assert.That(mask.AsSpan(r * seq, seq).ToArray().Sum(), Is.EqualTo(length));
            Assert.That(positions.AsSpan(r * seq, length).ToArray(), Is.EqualTo(Enumerable.Range(0, length).Select(i => (long)i)));
            var scored = Enumerable.Range(0, seq).Where(t => targetMask[r * seq + t] == 1f).ToArray();
            Assert.That(scored, Is.EqualTo(Enumerable.Range(prompt.Count - 1, answer.Count)), "positions predicting the answer");
            foreach (var t in scored) Assert.That(targets[r * seq + t], Is.EqualTo(row[t + 1]));
        }
    }

    [TestCase("gpt2")]
    [TestCase("llama")]
    public void The_in_graph_loss_and_scores_match_likelihoods_computed_from_the_logits(string family)
    {
        using var temp = new TempDirectory();
        var card = ModelCard.Load(ExportFixtures.Model(family));
        var adapter = (DecoderLmAdapter)ModelAdapters.Create(card);
        using var full = new PreparedDecoder(card, FullHead(adapter), temp["full"]);
        using var session = new PreparedDecoder(card, adapter.CreateLossHead(), temp["prepared"]);
        using var batch = adapter.Collate(Sst2Like);
        session.Session.Bind(batch);
        double mean = session.Session.Loss();
        var losses = session.Session.ExampleLosses.ToArray();

        var rowScores = ScoresFromLogits(full.Session, batch);
        var scores = adapter.Score(session.Session, Sst2Like);
        var predictions = adapter.Predict(session.Session, Sst2Like);
        double expectedMean = 0;
        for (int e = 0; e < Sst2Like.Length; e++)
        {
            var s = rowScores.Skip(e * 3).Take(Sst2Like[e].Candidates.Count).ToArray();
            Assert.That(scores[e], Is.EqualTo(s).Within(1e-4), $"scores of example {e}");
            double max = s.Max(), ce = max + Math.Log(s.Sum(v => Math.Exp(v - max))) - s[Sst2Like[e].Label];
            Assert.That(losses[e], Is.EqualTo(ce).Within(1e-4), $"loss of example {e}");
            Assert.That(predictions[e], Is.EqualTo(Array.IndexOf(s, s.Max())));
            expectedMean += ce / Sst2Like.Length;
        }
        Assert.That(mean, Is.EqualTo(expectedMean).Within(1e-4));
    }

    [Test]
    public void The_generation_protocol_scores_only_the_gold_answer_after_a_bos_token()
    {
        using var temp = new TempDirectory();
        var card = ModelCard.Load(ExportFixtures.Model("llama"));
        var adapter = DecoderLmAdapter.Create(card, new DecoderLmOptions { Protocol = CandidateProtocol.Generation });
        using var full = new PreparedDecoder(card, FullHead(adapter), temp["full"]);
        using var prepared = new PreparedDecoder(card, adapter.CreateLossHead(), temp["prepared"]);
        var session = prepared.Session;
        using var batch = adapter.Collate(Sst2Like);
        Assert.That(Values<long>(batch, "input_ids", out var shape)[0], Is.EqualTo(1), "Llama rows start with <s>");
        Assert.That(shape[0], Is.EqualTo(3), "one row per example");

        session.Bind(batch);
        session.Loss();
        var rowScores = ScoresFromLogits(full.Session, batch);
        Assert.That(session.ExampleLosses.ToArray(), Is.EqualTo(rowScores.Select(s => -s)).Within(1e-4));
        Assert.That(adapter.Predict(session, Sst2Like), Has.Length.EqualTo(3), "prediction scores every candidate under either protocol");
    }

    [TestCase("gpt2", CandidateProtocol.Classification)]
    [TestCase("gpt2", CandidateProtocol.Generation)]
    [TestCase("llama", CandidateProtocol.Classification)]
    public void The_lm_head_runs_only_on_scored_positions_and_gives_the_full_heads_losses(string family, CandidateProtocol protocol)
    {
        using var temp = new TempDirectory();
        var card = ModelCard.Load(ExportFixtures.Model(family));
        var adapter = DecoderLmAdapter.Create(card, new DecoderLmOptions { Protocol = protocol });
        using var full = new PreparedDecoder(card, FullHead(adapter), temp["full"]);
        using var scored = new PreparedDecoder(card, adapter.CreateLossHead(), temp["scored"]);

        // No [rows, seq, vocab] logits in training: the output is gone and the head's MatMul reads the gathered rows.
        var graph = OnnxModelFile.Load(scored.Prepared.GraphPath).Graph;
        Assert.That(graph.Output.Select(o => o.Name), Does.Not.Contain("logits"));
        Assert.That(OnnxModelFile.Load(full.Prepared.GraphPath).Graph.Output.Select(o => o.Name), Does.Contain("logits"));
        var head = graph.Node.Single(n => n.OpType == "MatMul" && n.Output[0].StartsWith("scored_logits", StringComparison.Ordinal));
        Assert.That(graph.Node.Single(n => n.Output.Contains(head.Input[0])).OpType, Is.EqualTo("Gather"));

        using var batch = adapter.Collate(Sst2Like);
        full.Session.Bind(batch);
        scored.Session.Bind(batch);
        Assert.That(scored.Session.Loss(), Is.EqualTo(full.Session.Loss()).Within(1e-5));
        Assert.That(scored.Session.ExampleLosses.ToArray(), Is.EqualTo(full.Session.ExampleLosses.ToArray()).Within(1e-5));
        var (fullScores, _) = full.Session.Run(batch, CandidateLossHead.ScoreOutput);
        var (scoredScores, _) = scored.Session.Run(batch, CandidateLossHead.ScoreOutput);
        Assert.That(scoredScores, Is.EqualTo(fullScores).Within(1e-5));
    }

    private static CandidateLossHead FullHead(DecoderLmAdapter adapter) =>
        CandidateLossHead.Create(adapter.Card.Outputs.GetValueOrDefault("logits", "logits"), adapter.Options.Protocol, scoredPositionsOnly: false);

    /// <summary>A decoder prepared with one loss head, its weights and a one-thread session.</summary>
    private sealed class PreparedDecoder : IDisposable
    {
        public PreparedDecoder(ModelCard card, LossHead head, string directory)
        {
            Prepared = TrainingModelBuilder.Prepare(card.Resolve(card.Model), directory, new PrepareOptions { Loss = head });
            Store = WeightStore.Load(Prepared);
            Session = TrainingGraphSession.Create(Prepared, Store, new SessionSettings { IntraOpThreads = 1 });
        }

        public PreparedModel Prepared { get; }

        public WeightStore Store { get; }

        public TrainingGraphSession Session { get; }

        public void Dispose()
        {
            Session.Dispose();
            Store.Dispose();
        }
    }

    [Test]
    public void Prompts_are_cut_from_the_left_to_fit_the_maximum_length()
    {
        var adapter = DecoderLmAdapter.Create(ModelCard.Load(ExportFixtures.Model("gpt2")), new DecoderLmOptions { MaxLength = 6 });
        var example = new PromptedExample("one two three four five six seven eight nine ten . It was", [" great"], 0);
        using var batch = adapter.Collate([example]);
        var ids = Values<long>(batch, "input_ids", out var shape);
        var answer = adapter.Tokenizer.Encode(" great");
        Assert.That(shape[1], Is.EqualTo(6));
        Assert.That(ids[^answer.Count..], Is.EqualTo(answer.Select(i => (long)i)), "the answer is kept whole");
        Assert.That(ids[..5], Is.EqualTo(adapter.Tokenizer.Encode(example.Prompt).TakeLast(5).Select(i => (long)i)), "the end of the prompt is kept");
    }

    /// <summary>Per-row mean log-likelihood of the batch's targets, from the model's own logits output, in double.</summary>
    private static double[] ScoresFromLogits(TrainingGraphSession session, TensorBatch batch)
    {
        var (logits, shape) = session.Run(batch, "logits");
        return CandidateScoreReference.FromLogits(logits, shape, Values<long>(batch, CandidateLossHead.TargetIds, out _), Values<float>(batch, CandidateLossHead.TargetMask, out _));
    }

    private static T[] Values<T>(TensorBatch batch, string name, out long[] shape) where T : unmanaged
    {
        var value = batch.Values.Single(v => v.Name == name).Value;
        shape = value.GetTensorTypeAndShape().Shape;
        return value.GetTensorDataAsSpan<T>().ToArray();
    }
}
