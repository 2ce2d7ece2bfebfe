using System.Text;
using System.Text.Json.Nodes;
using Bszo.Bench.Measure;
using Bszo.Bench.Reports;
using Bszo.Bench.Setup;
using ScottPlot;

namespace Bszo.Bench.Accuracy;

/// <summary>A comparison's result, as Markdown, JSON and one chart of dev curves.</summary>
public sealed class AccuracyReport(MachineInfo machine, LoadAverage loadBefore, LoadAverage loadAfter, BenchSettings settings, AccuracyOptions options, AccuracyResults results)
{
    private AccuracyPlan Plan => options.Plan;

    public string Markdown()
    {
        var text = new StringBuilder();
        text.AppendLine(Format.Invariant($"# Accuracy at equal forward-pass budgets: {options.Model ?? "the default model"}"));
        text.AppendLine();
        text.AppendLine(machine.Provenance(settings.CommandLine, Format.Invariant($"before: {loadBefore}, after: {loadAfter}")));
        text.AppendLine();
        text.AppendLine(Format.Invariant(
            $"Each run is `bszo finetune` in its own process, batch {Plan.BatchSize}, ε = {Plan.Epsilon:G3} for every method, {Plan.Evaluations} dev evaluations per run at equal forward-pass intervals; the test score is that of the best dev weights. Per arm and method, every rate of the grid ran on seed {Plan.Seeds[0]}; the rate with the best dev score (test scores are not looked at) then ran on seeds {string.Join(", ", Plan.Seeds)}{(Plan.ExtraSeeds.Count == 0 ? "" : $", and on seeds {string.Join(", ", Plan.ExtraSeeds)} too where two methods' test means were within two standard deviations")}. Each seed samples its own train/dev/test split and seeds the perturbations. A run counts as diverged if it stopped on a non-finite loss, or ran at least 100 steps and its training loss over the last tenth of them averaged more than {AccuracyRun.LossRiseFactor:G2}× its first tenth's. Settings: bench/Bszo.Bench/Accuracy/AccuracyPlans.cs. Wall time of the suite: {results.Elapsed.TotalMinutes:F0} min."));
        if (options.FinetuneArguments.Count > 0) text.AppendLine().Append("Extra `bszo finetune` arguments for every run: `").Append(string.Join(' ', options.FinetuneArguments)).AppendLine("`.");
        foreach (var arm in Plan.Arms)
        {
            text.AppendLine();
            text.AppendLine(Format.Invariant($"## {arm.Name}: {arm.Description}"));
            text.AppendLine();
            if (arm.ProbeOf is not null) AppendProbe(text, arm);
            else AppendArm(text, arm);
        }
        if (results.Skipped.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("## Not run: the time limit was reached");
            text.AppendLine();
            foreach (var s in results.Skipped) text.Append("* ").AppendLine(s);
        }
        return text.ToString();
    }

    private void AppendArm(StringBuilder text, AccuracyArm arm)
    {
        var armRuns = results.Runs.Where(r => r.Arm == arm.Name).ToList();
        if (armRuns.Count == 0)
        {
            text.AppendLine("No runs.");
            return;
        }
        text.AppendLine(Format.Invariant($"`bszo finetune` arguments: `{(arm.Arguments.Count == 0 ? "(the card's tensors)" : string.Join(' ', arm.Arguments))}`{(arm.Storage is null ? "" : $", the model stored with {(arm.Storage.Tensors.Count == 0 ? "its card's trainable tensors" : string.Join(", ", arm.Storage.Tensors))} in {Bszo.Ort.Graph.OnnxDataType.Name(arm.Storage.DataType)}")}; {Format.Count(arm.Budget)} forward passes per run."));
        text.AppendLine();
        // An arm that continues another's runs starts each method from that method's weights, so its
        // gain is measured against the run's own start (the source arm's result), not the zero-shot model.
        bool continues = arm.ContinueFrom is not null;
        var zero = ZeroShot(armRuns);
        var table = new MarkdownTable("method", "rate (chosen on dev)", "grid diverged", "steps", "forward passes", "test accuracy (mean ± std)",
            continues ? $"gain over its start ({arm.ContinueFrom})" : "gain over zero-shot", "best dev", "per seed (test)", "minutes per run");
        if (continues)
        {
            text.AppendLine(Format.Invariant($"Each method starts from its own `{arm.ContinueFrom}` run of the same seed (the rate chosen there, its best dev weights); the start rows are those weights' test scores, measured again by these runs."));
            text.AppendLine();
        }
        else
        {
            table.Row("zero-shot", Format.None, Format.None, "0", "0", MeanStd(zero.Values), Format.None, Format.None, string.Join(" ", zero.Values.Select(v => Format.Fixed(v, 3))), Format.None);
        }
        foreach (var method in arm.Methods)
        {
            if (continues && results.Chosen.TryGetValue((arm.Name, method.Name), out var chosenRate))
            {
                var starts = Chosen(armRuns, method.Name, chosenRate);
                table.Row($"start: {arm.ContinueFrom} {method.Name}", Format.None, Format.None, "0", "0", MeanStd(starts.Select(r => r.ZeroShotTest)), Format.None, Format.None,
                    string.Join(" ", starts.Select(r => Format.Fixed(r.ZeroShotTest, 3))), Format.None);
            }
            var grid = armRuns.Where(r => r.Method == method.Name && r.Seed == Plan.Seeds[0] && method.LearningRates.Contains(r.LearningRate)).ToList();
            string diverged = Format.Invariant($"{grid.Count(r => r.Diverged)} of {grid.Count}");
            if (!results.Chosen.TryGetValue((arm.Name, method.Name), out var rate))
            {
                table.Row(method.Name, "none stable", diverged, Format.None, Format.None, Format.None, Format.None, Format.None, Format.None, Format.None);
                continue;
            }
            var mine = Chosen(armRuns, method.Name, rate);
            table.Row(method.Name, Rate(rate), diverged, Format.Count(method.Steps(arm.Budget)), Format.Count((long)mine.Average(r => r.ForwardPasses)),
                MeanStd(mine.Select(r => r.FineTunedTest)), MeanStd(mine.Select(r => r.FineTunedTest - (continues ? r.ZeroShotTest : zero.GetValueOrDefault(r.Seed, double.NaN)))),
                MeanStd(mine.Select(r => r.BestDev)), string.Join(" ", mine.Select(r => Format.Fixed(r.FineTunedTest, 3))), Format.Fixed(mine.Average(r => r.WallSeconds) / 60, 1));
        }
        text.Append(table);
        text.AppendLine();
        var close = AccuracySuite.CloseMethods(arm, results.Runs, results.Chosen, Plan.Seeds);
        text.AppendLine(close.Count == 0
            ? "No two methods' test means lie within two standard deviations of each other (seeds " + string.Join(", ", Plan.Seeds) + ")."
            : $"Within two standard deviations of another method (seeds {string.Join(", ", Plan.Seeds)}), so not told apart by these runs: {string.Join(", ", close.Order())}.");
        text.AppendLine();
        text.AppendLine(Format.Invariant($"Grid on seed {Plan.Seeds[0]}, best dev {armRuns[0].Metric} per rate (\"div.\": diverged):"));
        text.AppendLine();
        var rates = arm.Methods.SelectMany(m => m.LearningRates).Distinct().Order().ToList();
        var gridTable = new MarkdownTable(["method", .. rates.Select(Rate)]);
        foreach (var method in arm.Methods)
        {
            gridTable.Row([method.Name, .. rates.Select(rate =>
            {
                var run = armRuns.FirstOrDefault(r => r.Method == method.Name && r.Seed == Plan.Seeds[0] && r.LearningRate == rate);
                return run is null ? Format.None : run.Diverged ? (double.IsFinite(run.BestDev) ? $"div. ({Format.Fixed(run.BestDev, 3)})" : "div.") : Format.Fixed(run.BestDev, 3);
            })]);
        }
        text.Append(gridTable);
    }

    private void AppendProbe(StringBuilder text, AccuracyArm arm)
    {
        var probes = results.Probes.Where(p => p.Arm == arm.Name).Select(p => p.Probe).ToList();
        if (probes.Count == 0)
        {
            text.AppendLine("Not fitted.");
            return;
        }
        var zero = ZeroShot(results.Runs.Where(r => r.Arm == arm.ProbeOf).ToList());
        text.AppendLine(Format.Invariant($"Full-batch gradient descent (Nesterov, step 1/L) for {LinearProbe.Iterations} iterations on the {probes[0].Features} features per example at the `{arm.ProbeOf}` arm's cut, L2 penalty λ ∈ {{{string.Join(", ", LinearProbe.Penalties.Select(p => Format.Invariant($"{p:G2}")))}}} chosen on dev."));
        text.AppendLine();
        var table = new MarkdownTable("seeds", "test accuracy (mean ± std)", "gain over zero-shot", "dev accuracy", "λ per seed", "per seed (test)", "seconds per seed");
        table.Row(string.Join(" ", probes.Select(p => p.Seed)), MeanStd(probes.Select(p => p.TestAccuracy)), MeanStd(probes.Select(p => p.TestAccuracy - zero.GetValueOrDefault(p.Seed, double.NaN))),
            MeanStd(probes.Select(p => p.DevAccuracy)), string.Join(" ", probes.Select(p => Format.Invariant($"{p.L2:G2}"))), string.Join(" ", probes.Select(p => Format.Fixed(p.TestAccuracy, 3))),
            Format.Fixed(probes.Average(p => p.Seconds), 0));
        text.Append(table);
    }

    public JsonNode Json() => new JsonObject(ReportFiles.Header("accuracy", settings, machine, loadBefore, loadAfter))
    {
        ["plan"] = ReportFiles.ToNode(Plan),
        ["finetune_arguments"] = ReportFiles.ToNode(options.FinetuneArguments),
        ["elapsed_seconds"] = results.Elapsed.TotalSeconds,
        ["chosen_rates"] = new JsonArray(results.Chosen.Select(c => (JsonNode?)new JsonObject { ["arm"] = c.Key.Arm, ["method"] = c.Key.Method, ["learning_rate"] = c.Value }).ToArray()),
        ["skipped"] = new JsonArray(results.Skipped.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
        ["probes"] = new JsonArray(results.Probes.Select(p => (JsonNode?)new JsonObject
        {
            ["arm"] = p.Arm,
            ["seed"] = p.Probe.Seed,
            ["l2"] = p.Probe.L2,
            ["dev_accuracy"] = p.Probe.DevAccuracy,
            ["test_accuracy"] = p.Probe.TestAccuracy,
            ["features"] = p.Probe.Features,
            ["seconds"] = p.Probe.Seconds,
            ["grid"] = new JsonArray(p.Probe.Grid.Select(g => (JsonNode?)new JsonArray(g.L2, g.Dev)).ToArray()),
        }).ToArray()),
        ["runs"] = new JsonArray(results.Runs.Select(r => (JsonNode?)new JsonObject
        {
            ["arm"] = r.Arm,
            ["method"] = r.Method,
            ["learning_rate"] = r.LearningRate,
            ["seed"] = r.Seed,
            ["directory"] = r.Directory,
            ["metric"] = r.Metric,
            ["diverged"] = r.Diverged,
            ["diverged_because"] = r.DivergedBecause,
            ["zero_shot_test"] = Finite(r.ZeroShotTest),
            ["fine_tuned_test"] = Finite(r.FineTunedTest),
            ["best_dev"] = Finite(r.BestDev),
            ["steps"] = r.Steps,
            ["forward_passes"] = r.ForwardPasses,
            ["step_seconds"] = r.StepSeconds,
            ["wall_seconds"] = Finite(r.WallSeconds),
            ["curve"] = new JsonArray(r.Curve.Select(p => (JsonNode?)new JsonArray(p.ForwardPasses, p.Score)).ToArray()),
        }).ToArray()),
    };

    /// <summary>Dev curves of every arm's chosen runs (mean ± std over seeds), against the share of the arm's budget spent.</summary>
    public Plot Chart()
    {
        var series = new List<(string, double[], double[], double[])>();
        foreach (var arm in Plan.Arms.Where(a => a.ProbeOf is null && a.Budget > 0))
        {
            foreach (var method in arm.Methods)
            {
                if (!results.Chosen.TryGetValue((arm.Name, method.Name), out var rate)) continue;
                var mine = Chosen(results.Runs.Where(r => r.Arm == arm.Name).ToList(), method.Name, rate);
                if (mine.Count == 0 || mine.Any(r => r.Curve.Count == 0)) continue;
                var xs = mine.Select(r => r.Curve.Select(p => p.ForwardPasses).ToHashSet()).Aggregate((a, b) => { a.IntersectWith(b); return a; }).Order().ToArray();
                var values = xs.Select(x => mine.Select(r => r.Curve.First(p => p.ForwardPasses == x).Score).ToList()).ToList();
                series.Add(($"{arm.Name}: {method.Name} (lr {Rate(rate)}, {mine.Count} seeds)", xs.Select(x => (double)x / arm.Budget).ToArray(),
                    values.Select(v => Stats.Mean(v)).ToArray(), values.Select(v => Stats.StandardDeviation(v)).ToArray()));
            }
        }
        // Reference lines for the first arm (other arms may score another task or model).
        var first = Plan.Arms.FirstOrDefault(a => a.ProbeOf is null)?.Name;
        var zero = ZeroShot(results.Runs.Where(r => r.Arm == first).ToList()).Values.ToList();
        var probes = results.Probes.Where(p => Plan.Arms.Any(a => a.Name == p.Arm && a.ProbeOf == first)).Select(p => p.Probe.DevAccuracy).ToList();
        var lines = new List<(double, string)>();
        if (zero.Count > 0) lines.Add((Stats.Mean(zero), $"zero-shot of {first} (test, mean)"));
        if (probes.Count > 0) lines.Add((Stats.Mean(probes), $"linear probe on {first}'s features (dev, mean)"));
        return Charts.Curves("Dev score by training forward passes (mean ± std over seeds)", "forward passes, as a share of the arm's budget", "dev score", series, lines);
    }

    /// <summary>The runs of a method at its chosen rate, one per seed.</summary>
    private static List<AccuracyRun> Chosen(IReadOnlyList<AccuracyRun> runs, string method, double rate) =>
        [.. runs.Where(r => r.Method == method && r.LearningRate == rate && !r.Diverged).GroupBy(r => r.Seed).Select(g => g.First()).OrderBy(r => r.Seed)];

    /// <summary>Zero-shot test score per seed: every run of a seed starts from the same weights and split.</summary>
    private static Dictionary<ulong, double> ZeroShot(IReadOnlyList<AccuracyRun> runs) =>
        runs.Where(r => double.IsFinite(r.ZeroShotTest)).GroupBy(r => r.Seed).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.First().ZeroShotTest);

    /// <summary>A learning rate as people write it: 0.003, 1e-5.</summary>
    internal static string Rate(double rate) =>
        rate.ToString("G3", System.Globalization.CultureInfo.InvariantCulture).Replace("E-0", "e-", StringComparison.Ordinal).Replace("E-", "e-", StringComparison.Ordinal);

    private static JsonValue? Finite(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;

    private static string MeanStd(IEnumerable<double> values)
    {
        var list = values.Where(double.IsFinite).ToList();
        return list.Count == 0 ? Format.None : Format.Invariant($"{Stats.Mean(list):F4} ± {Stats.StandardDeviation(list):F4}");
    }
}
