using System.Diagnostics;
using Bszo.Models.Adapters;
using Bszo.Models.UseLite;

namespace Bszo.Tests.Models;

/// <summary>The zero-shot head classifies real movie-review sentences better than chance before any training.</summary>
public class UseLiteZeroShotTests
{
    [Test]
    public void Zero_shot_head_beats_chance_on_pang_and_lee_sentence_polarity()
    {
        var all = SentencePolarity.Load();
        Assert.That(all, Has.Count.EqualTo(4000));
        Assert.That(all.Count(d => d.Label == 1), Is.EqualTo(2000));
        // Every fourth sentence: 1000, balanced (the file is sorted by label), to keep the test fast.
        var data = all.Where((_, i) => i % 4 == 0).ToList();
        var model = UseLiteTestModel.Instance;
        var watch = Stopwatch.StartNew();
        int correct = 0;
        for (int b = 0; b < data.Count; b += 64)
        {
            var batch = data.Skip(b).Take(64).Select(d => new PromptedExample(d.Text, model.Card.Labels, d.Label)).ToList();
            var predicted = model.Adapter.Predict(model.Session, batch);
            for (int i = 0; i < batch.Count; i++) if (predicted[i] == batch[i].Label) correct++;
        }
        double accuracy = (double)correct / data.Count;
        TestContext.Out.WriteLine($"zero-shot accuracy ({string.Join(" / ", model.Options.Labels.Select(l => $"{l.Name}: \"{string.Join("\" | \"", l.Prompts)}\""))}, " +
                                  $"scale {model.Options.LogitScale}): {accuracy:P2} on {data.Count} sentences in {watch.Elapsed.TotalSeconds:F1} s");
        Assert.That(accuracy, Is.GreaterThan(0.6));
    }

    [Explicit("measurement: zero-shot accuracy for several prompt sets")]
    [Test]
    public void Measure_prompt_sets()
    {
        var data = SentencePolarity.Load();
        var model = UseLiteTestModel.Instance;
        var embeddings = new List<float[]>();
        for (int b = 0; b < data.Count; b += 64) embeddings.AddRange(model.Run(data.Skip(b).Take(64).Select(d => d.Text).ToList(), "embedding"));
        var sets = new (string Name, string[] Negative, string[] Positive)[]
        {
            ("terrible/great", ["It was terrible."], ["It was great."]),
            ("bad/good", ["It was bad."], ["It was good."]),
            ("awful/wonderful", ["It was awful."], ["It was wonderful."]),
            ("movie terrible/great", ["The movie was terrible."], ["The movie was great."]),
            ("negative/positive review", ["A negative review."], ["A positive review."]),
            ("multi", ["It was terrible.", "It was bad.", "The movie was awful."], ["It was great.", "It was good.", "The movie was wonderful."]),
        };
        foreach (var (name, negative, positive) in sets)
        {
            var prompts = model.Run([.. negative, .. positive], "embedding");
            var neg = Mean(prompts.Take(negative.Length));
            var pos = Mean(prompts.Skip(negative.Length));
            int correct = 0;
            for (int i = 0; i < data.Count; i++)
            {
                double a = Dot(embeddings[i], neg), c = Dot(embeddings[i], pos);
                if ((c > a ? 1 : 0) == data[i].Label) correct++;
            }
            var ce = new[] { 5.0, 10, 20, 30, 50 }.Select(scale => data.Select((d, i) =>
            {
                double a = Dot(embeddings[i], neg), c = Dot(embeddings[i], pos);
                return Math.Log(1 + Math.Exp(-(d.Label == 1 ? c - a : a - c) * scale));
            }).Average());
            TestContext.Out.WriteLine($"{name}: accuracy {(double)correct / data.Count:P2}, mean CE at scale 5/10/20/30/50: {string.Join(" / ", ce.Select(v => v.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)))}");
        }
    }

    private static double[] Mean(IEnumerable<float[]> rows)
    {
        var list = rows.ToList();
        var m = new double[list[0].Length];
        foreach (var r in list) for (int j = 0; j < m.Length; j++) m[j] += r[j];
        double n = Math.Sqrt(m.Sum(v => v * v));
        return m.Select(v => v / n).ToArray();
    }

    private static double Dot(float[] a, double[] b)
    {
        double s = 0;
        for (int j = 0; j < a.Length; j++) s += a[j] * b[j];
        return s;
    }
}
