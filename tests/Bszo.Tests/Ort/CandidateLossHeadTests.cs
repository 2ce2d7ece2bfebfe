using Bszo.Ort.Graph;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;
using Bszo.Tests.Support;

namespace Bszo.Tests.Ort;

/// <summary>The candidate loss head on a bigram model, against log-likelihoods computed by hand.</summary>
public class CandidateLossHeadTests
{
    private const int Vocab = 7;

    // Three examples; the second has only two candidates, so its third slot is switched off.
    private static readonly int[][][] Candidates =
    [
        [[1, 2, 3, 4], [1, 2, 3, 5, 6], [1, 2, 3, 6]],
        [[4, 4, 2], [4, 4, 0, 1], []],
        [[5, 1, 2, 3], [5, 1, 6, 6], [5, 1, 0]],
    ];
    private static readonly int[] Prompt = [3, 2, 2];
    private static readonly long[] Labels = [1, 0, 2];

    [Test]
    public void Classification_loss_is_cross_entropy_over_mean_candidate_log_likelihoods()
    {
        using var f = new BigramFixture(CandidateProtocol.Classification);
        using var batch = BigramFixture.Batch(classification: true);
        f.Session.Bind(batch);
        double mean = f.Session.Loss();
        var losses = f.Session.ExampleLosses.ToArray();
        var (scores, _) = f.Session.Run(batch, CandidateLossHead.ScoreOutput);

        double expectedMean = 0;
        for (int e = 0; e < Candidates.Length; e++)
        {
            var valid = Enumerable.Range(0, 3).Where(c => Candidates[e][c].Length > 0).ToArray();
            var s = valid.Select(c => f.MeanLogLikelihood(Candidates[e][c], Prompt[e])).ToArray();
            foreach (var (c, i) in valid.Select((c, i) => (c, i))) Assert.That(scores[e * 3 + c], Is.EqualTo(s[i]).Within(1e-5), $"score {e},{c}");
            double max = s.Max(), lse = max + Math.Log(s.Sum(v => Math.Exp(v - max)));
            double ce = lse - s[Array.IndexOf(valid, (int)Labels[e])];
            Assert.That(losses[e], Is.EqualTo(ce).Within(1e-5), $"example {e}");
            expectedMean += ce / Candidates.Length;
        }
        Assert.That(losses, Has.Length.EqualTo(3), "one loss per example, not per row");
        Assert.That(mean, Is.EqualTo(expectedMean).Within(1e-5));
    }

    [Test]
    public void Generation_loss_is_the_negative_mean_log_likelihood_of_the_gold_answer()
    {
        using var f = new BigramFixture(CandidateProtocol.Generation);
        using var batch = BigramFixture.Batch(classification: false);
        f.Session.Bind(batch);
        f.Session.Loss();
        var losses = f.Session.ExampleLosses.ToArray();
        for (int e = 0; e < Candidates.Length; e++)
        {
            var gold = Candidates[e][Labels[e]];
            Assert.That(losses[e], Is.EqualTo(-f.MeanLogLikelihood(gold, Prompt[e])).Within(1e-5), $"example {e}");
        }
    }

    [Test]
    public void Mezo_steps_on_the_in_graph_candidate_loss_lower_it()
    {
        using var f = new BigramFixture(CandidateProtocol.Classification);
        using var batch = BigramFixture.Batch(classification: true);
        f.Session.Bind(batch);
        double before = f.Session.Loss();
        var mezo = MezoOptimizer.Create(new PerturbationSweep(f.Store, new SweepOptions { Threads = 1 }),
            new MezoOptions { LearningRate = 0.02, Epsilon = 1e-3, Seed = 4, TotalSteps = 300 });
        var loss = new DelegateLossEvaluator(f.Session.Loss);
        for (int step = 0; step < 300; step++) mezo.Step(loss);
        double after = f.Session.Loss();
        TestContext.Out.WriteLine($"candidate classification loss {before:F4} -> {after:F4} after 300 MeZO steps");
        Assert.That(after, Is.LessThan(0.7 * before));
    }

    [TestCase(CandidateProtocol.Classification)]
    [TestCase(CandidateProtocol.Generation)]
    public void A_matmul_head_with_a_bias_and_a_scale_runs_only_on_scored_positions_with_the_full_heads_losses(CandidateProtocol protocol)
    {
        using var temp = new TempDirectory();
        var source = TestModels.LinearLm(temp["src"], Vocab);
        using var batch = BigramFixture.Batch(classification: protocol == CandidateProtocol.Classification);
        var results = new Dictionary<bool, (float[] Losses, float[] Scores, string[] Outputs)>();
        foreach (bool scoredOnly in new[] { false, true })
        {
            var prepared = TrainingModelBuilder.Prepare(source, temp[$"out-{scoredOnly}"],
                new PrepareOptions { Loss = CandidateLossHead.Create("logits", protocol, scoredOnly) });
            using var store = WeightStore.Load(prepared);
            using var session = TrainingGraphSession.Create(prepared, store, new SessionSettings { IntraOpThreads = 1 });
            session.Bind(batch);
            session.Loss();
            var (scores, _) = session.Run(batch, CandidateLossHead.ScoreOutput);
            var graph = OnnxModelFile.Load(prepared.GraphPath).Graph;
            results[scoredOnly] = (session.ExampleLosses.ToArray(), scores, [.. graph.Output.Select(o => o.Name)]);
        }
        Assert.That(results[true].Losses, Is.EqualTo(results[false].Losses).Within(1e-5));
        Assert.That(results[true].Scores, Is.EqualTo(results[false].Scores).Within(1e-5));
        Assert.That(results[false].Outputs, Does.Contain("logits"));
        Assert.That(results[true].Outputs, Does.Not.Contain("logits"), "the bias and the scale were carried over to the gathered rows");
    }

    [Test]
    public void A_head_of_another_form_keeps_the_full_logits()
    {
        // The bigram's logits are a Gather from a table, not a MatMul: nothing to gather before.
        using var f = new BigramFixture(CandidateProtocol.Classification);
        Assert.That(f.Head.ScoredPositionsOnly, Is.True);
        Assert.That(OnnxModelFile.Load(f.Prepared.GraphPath).Graph.Output.Select(o => o.Name), Does.Contain("logits"));
    }

    [TestCase(CandidateProtocol.Classification)]
    [TestCase(CandidateProtocol.Generation)]
    public void The_head_is_restored_from_the_manifest(CandidateProtocol protocol)
    {
        using var f = new BigramFixture(protocol);
        var reopened = PreparedModel.Open(f.Prepared.Directory);
        Assert.That(reopened.Loss, Is.TypeOf<CandidateLossHead>());
        Assert.That(((CandidateLossHead)reopened.Loss).Protocol, Is.EqualTo(protocol));
        Assert.That(reopened.Loss.AddedInputs, Is.EqualTo(f.Head.AddedInputs));
    }

    [Test]
    public void Class_logits_are_rejected_with_a_hint()
    {
        using var temp = new TempDirectory();
        var source = TestModels.Mlp(temp["src"]);
        var e = Assert.Throws<Bszo.Ort.BszoException>(() =>
            TrainingModelBuilder.Prepare(source, temp["out"], new PrepareOptions { Loss = CandidateLossHead.Create("logits") }));
        Assert.That(e!.Message, Does.Contain("rank 3").And.Contain("rank 2"));
    }

    /// <summary>A prepared bigram model with a candidate head, and the hand computation of its scores.</summary>
    private sealed class BigramFixture : IDisposable
    {
        private readonly TempDirectory _temp = new();
        private readonly float[] _table;

        public BigramFixture(CandidateProtocol protocol)
        {
            var source = TestModels.BigramLm(_temp["src"], Vocab);
            _table = TestModels.Randn(new Random(3), Vocab * Vocab, 1.5f);
            Head = CandidateLossHead.Create("logits", protocol);
            Prepared = TrainingModelBuilder.Prepare(source, _temp["out"], new PrepareOptions { Loss = Head });
            Store = WeightStore.Load(Prepared);
            Session = TrainingGraphSession.Create(Prepared, Store, new SessionSettings { IntraOpThreads = 1 });
        }

        public CandidateLossHead Head { get; }

        public PreparedModel Prepared { get; }

        public WeightStore Store { get; }

        public TrainingGraphSession Session { get; }

        /// <summary>Mean over the answer (tokens after the prompt) of log softmax(table[prev])[next], in double.</summary>
        public double MeanLogLikelihood(int[] row, int promptLength)
        {
            double sum = 0;
            for (int t = promptLength; t < row.Length; t++)
            {
                var logits = _table.AsSpan(row[t - 1] * Vocab, Vocab).ToArray().Select(v => (double)v).ToArray();
                double max = logits.Max(), lse = max + Math.Log(logits.Sum(v => Math.Exp(v - max)));
                sum += logits[row[t]] - lse;
            }
            return sum / (row.Length - promptLength);
        }

        /// <summary>Rows right-padded to the longest; classification lays out every candidate slot, generation only the gold rows.</summary>
        public static TensorBatch Batch(bool classification)
        {
            var rows = new List<(int[] Ids, int Prompt)>();
            for (int e = 0; e < Candidates.Length; e++)
            {
                if (classification) rows.AddRange(Candidates[e].Select(c => (c, Prompt[e])));
                else rows.Add((Candidates[e][Labels[e]], Prompt[e]));
            }
            int n = rows.Count, seq = rows.Max(r => r.Ids.Length);
            var ids = new long[n * seq];
            var mask = new long[n * seq];
            var targets = new long[n * seq];
            var targetMask = new float[n * seq];
            for (int r = 0; r < n; r++)
            {
                var (row, prompt) = rows[r];
                for (int t = 0; t < row.Length; t++)
                {
                    ids[r * seq + t] = row[t];
                    mask[r * seq + t] = 1;
                }
                for (int t = prompt - 1; t < row.Length - 1; t++)
                {
                    targets[r * seq + t] = row[t + 1];
                    targetMask[r * seq + t] = 1;
                }
            }
            var batch = new TensorBatch(Candidates.Length)
                .Add("input_ids", ids, n, seq).Add("attention_mask", mask, n, seq)
                .Add(CandidateLossHead.TargetIds, targets, n, seq).Add(CandidateLossHead.TargetMask, targetMask, n, seq);
            if (classification)
            {
                var candidateMask = Candidates.SelectMany(e => e.Select(c => c.Length > 0 ? 1f : 0f)).ToArray();
                batch.Add(CandidateLossHead.CandidateMask, candidateMask, Candidates.Length, 3).Add(CandidateLossHead.Labels, Labels, Candidates.Length);
            }
            return batch;
        }

        public void Dispose()
        {
            Session.Dispose();
            Store.Dispose();
            _temp.Dispose();
        }
    }
}
