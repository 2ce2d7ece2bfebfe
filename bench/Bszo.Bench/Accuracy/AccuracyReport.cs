using System.Text;
using System.Text.Json.Nodes;
using Bszo.Bench.Measure;
using Bszo.Bench.Reports;
using Bszo.Bench.Setup;
using ScottPlot;

namespace Bszo.Bench.Accuracy;

/// <summary>The accuracy suite's result, as Markdown, JSON and one chart of dev curves.</summary>
public sealed class AccuracyReport(MachineInfo machine, LoadAverage loadBefore, LoadAverage loadAfter, BenchSettings settings, AccuracyOptions options, IReadOnlyList<AccuracyRun> runs)
{
    private string Metric => runs.Count > 0 ? runs[0].Metric : "accuracy";

    public string Markdown()
    {
        var text = new StringBuilder();
        text.AppendLine(Format.Invariant($"# Accuracy at equal forward-pass budgets: {options.Model ?? "the default model"}"));
        text.AppendLine();
        text.AppendLine(machine.Provenance(settings.CommandLine, Format.Invariant($"before: {loadBefore}, after: {loadAfter}")));
        text.AppendLine();
        text.AppendLine(Format.Invariant($"Each run is `bszo finetune` in its own process: seeds {string.Join(", ", options.Plan.Seeds)} (each seeds the perturbations and the data sample), batch {options.Plan.BatchSize}, {options.Plan.Evaluations} dev evaluations per run at equal forward-pass intervals; the test score is that of the best dev weights. Settings come from bench/Bszo.Bench/Accuracy/AccuracyRecipes.cs; 'default' means `bszo finetune`'s default (the model card's recipe, else the method's published one)."));
        if (options.FinetuneArguments.Count > 0) text.AppendLine().Append("Extra `bszo finetune` arguments: `").Append(string.Join(' ', options.FinetuneArguments)).AppendLine("`.");
        text.AppendLine();
        var table = new MarkdownTable("method", "learning rate", "ε", "trainable", "steps", "forward passes", $"test {Metric} (mean ± std)", "gain over zero-shot (mean ± std)", $"best dev {Metric}", "per seed (test)", "minutes per run");
        var zero = ZeroShotBySeed();
        table.Row("zero-shot", Format.None, Format.None, Format.None, "0", "0", MeanStd(zero), Format.None, Format.None, string.Join(" ", zero.Select(v => Format.Fixed(v, 3))));
        foreach (var recipe in options.Plan.Methods)
        {
            var mine = runs.Where(r => r.Method == recipe.Method).ToList();
            if (mine.Count == 0) continue;
            table.Row(recipe.Method, recipe.LearningRate is double lr ? Format.Invariant($"{lr:G3}") : "default", recipe.Epsilon is double eps ? Format.Invariant($"{eps:G3}") : "default",
                recipe.Trainable.Count == 0 ? "card's" : string.Join(" ", recipe.Trainable), Format.Count(recipe.Steps), Format.Count((long)mine.Average(r => r.ForwardPasses)),
                MeanStd(mine.Select(r => r.FineTunedTest)), MeanStd(mine.Select(r => r.FineTunedTest - r.ZeroShotTest)), MeanStd(mine.Select(r => r.BestDev)), string.Join(" ", mine.Select(r => Format.Fixed(r.FineTunedTest, 3))),
                Format.Fixed(mine.Average(r => r.StepSeconds) / 60, 1));
        }
        text.Append(table);
        text.AppendLine();
        text.AppendLine("Zero-shot differs between seeds because each seed samples its own train/dev/test split; every method of a seed uses that seed's split, so the gain column pairs each run with its own seed's zero-shot score. A run whose best dev score is the zero-shot one keeps the starting weights (gain 0).");
        return text.ToString();
    }

    public JsonNode Json() => new JsonObject(ReportFiles.Header("accuracy", settings, machine, loadBefore, loadAfter))
    {
        ["plan"] = ReportFiles.ToNode(options.Plan),
        ["finetune_arguments"] = ReportFiles.ToNode(options.FinetuneArguments),
        ["runs"] = new JsonArray(runs.Select(r => (JsonNode?)new JsonObject
        {
            ["method"] = r.Method,
            ["seed"] = r.Seed,
            ["directory"] = r.Directory,
            ["metric"] = r.Metric,
            ["zero_shot_test"] = r.ZeroShotTest,
            ["fine_tuned_test"] = r.FineTunedTest,
            ["best_dev"] = r.BestDev,
            ["steps"] = r.Steps,
            ["forward_passes"] = r.ForwardPasses,
            ["step_seconds"] = r.StepSeconds,
            ["curve"] = new JsonArray(r.Curve.Select(p => (JsonNode?)new JsonArray(p.ForwardPasses, p.Score)).ToArray()),
        }).ToArray()),
    };

    public Plot Chart()
    {
        var series = new List<(string, double[], double[], double[])>();
        foreach (var recipe in options.Plan.Methods)
        {
            var mine = runs.Where(r => r.Method == recipe.Method).ToList();
            if (mine.Count == 0) continue;
            var xs = mine.Select(r => r.Curve.Select(p => p.ForwardPasses).ToHashSet()).Aggregate((a, b) => { a.IntersectWith(b); return a; }).Order().ToArray();
            var values = xs.Select(x => mine.Select(r => r.Curve.First(p => p.ForwardPasses == x).Score).ToList()).ToList();
            series.Add(($"{recipe.Method} ({mine.Count} seeds)", xs.Select(x => (double)x).ToArray(), values.Select(v => Stats.Mean(v)).ToArray(), values.Select(v => Stats.StandardDeviation(v)).ToArray()));
        }
        var zero = ZeroShotBySeed();
        return Charts.Curves($"Dev {Metric} by training forward passes (mean ± std over seeds)", "training forward passes", $"dev {Metric}", series,
            zero.Count > 0 ? [(Stats.Mean(zero), "zero-shot (test, mean)")] : null);
    }

    /// <summary>One zero-shot score per seed: every method of a seed starts from the same weights and split.</summary>
    private List<double> ZeroShotBySeed() => [.. runs.GroupBy(r => r.Seed).OrderBy(g => g.Key).Select(g => g.First().ZeroShotTest)];

    private static string MeanStd(IEnumerable<double> values)
    {
        var list = values.ToList();
        return list.Count == 0 ? Format.None : Format.Invariant($"{Stats.Mean(list):F4} ± {Stats.StandardDeviation(list):F4}");
    }
}
