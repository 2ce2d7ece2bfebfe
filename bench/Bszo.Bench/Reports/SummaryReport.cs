using System.Text;
using System.Text.Json.Nodes;
using Bszo.Ort.Graph;

namespace Bszo.Bench.Reports;

/// <summary>
/// summary.md: the headline numbers of every memory and speed result file in a directory, one row
/// per workload, rebuilt from the JSON files (so it always matches them).
/// </summary>
public static class SummaryReport
{
    public static void Write(string directory, string commandLine, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var memory = Load(directory, "memory-*.json");
        var speed = Load(directory, "speed-*.json");
        var text = new StringBuilder();
        text.AppendLine("# Benchmark summary");
        text.AppendLine();
        text.AppendLine(Format.Invariant($"Rebuilt by `{commandLine}` from the result files beside this one; each file names its own command, machine, date and load."));
        text.AppendLine();
        text.AppendLine("## Peak memory (MiB; ratio to plain ONNX Runtime inference)");
        text.AppendLine();
        string[] configurations = ["ort-inference", "bszo-mezo", "bszo-subzero", "bszo-bszo", "bszo-bszo-b", "pytorch-mezo", "pytorch-adam"];
        var table = new MarkdownTable(["workload", .. configurations]);
        foreach (var (name, node) in memory)
        {
            var results = node["results"]!.AsArray().Select(r => r!.AsObject()).ToList();
            double inference = Peak(results, "ort-inference");
            table.Row([Workload(node), .. configurations.Select(c =>
            {
                double peak = Peak(results, c);
                return double.IsFinite(peak) ? Format.Invariant($"{peak / 1048576:F0} ({peak / inference:F2}×)") : Format.None;
            })]);
        }
        text.Append(table);
        text.AppendLine();
        text.AppendLine("## Step speed (median seconds per step; forward passes per second)");
        text.AppendLine();
        var speedTable = new MarkdownTable("workload", "inference s/pass", "training graph × inference", "mezo s/step", "subzero", "bszo", "bszo-b", "pytorch-mezo", "Bszo MeZO speed-up", "sweep share mezo / bszo");
        foreach (var (name, node) in speed)
        {
            var rows = node["rows"]!.AsArray().Select(r => r!.AsObject()).ToDictionary(r => (string)r["configuration"]!, StringComparer.Ordinal);
            double inference = (double)node["inference_forward_median"]!, graph = (double)node["bszo_forward_median"]!;
            string Step(string c) => rows.TryGetValue(c, out var r) ? Format.Invariant($"{(double)r["step_seconds"]!:F2} ({(double)r["forwards_per_second"]!:F2}/s)") : Format.None;
            double StepOf(string c) => rows.TryGetValue(c, out var r) ? (double)r["step_seconds"]! : double.NaN;
            string Share(string c) => rows.TryGetValue(c, out var r) ? Format.Percent((double)r["sweep_share"]!) : Format.None;
            speedTable.Row(Workload(node), Format.Seconds(inference), Format.Ratio(graph / inference), Step("mezo"), Step("subzero"), Step("bszo"), Step("bszo-b"), Step("pytorch-mezo"),
                Format.Ratio(StepOf("pytorch-mezo") / StepOf("mezo")), $"{Share("mezo")} / {Share("bszo")}");
        }
        text.Append(speedTable);
        text.AppendLine();
        var path = Path.Combine(directory, "summary.md");
        AtomicFile.WriteAllText(path, text.ToString());
        log($"wrote {Path.GetRelativePath(Environment.CurrentDirectory, path)}");
    }

    private static List<(string Name, JsonNode Node)> Load(string directory, string pattern) =>
        [.. Directory.Exists(directory)
            ? Directory.GetFiles(directory, pattern).Order(StringComparer.Ordinal).Select(f => (Path.GetFileName(f), JsonNode.Parse(File.ReadAllText(f))!))
            : []];

    private static string Workload(JsonNode node) =>
        Format.Invariant($"{(string)node["workload"]!["model"]!} {(int)node["workload"]!["batch"]!}×{(int)node["workload"]!["sequence"]!}{((bool?)node["workload"]!["prompt"] == true ? ", prompt task" : "")}");

    private static double Peak(List<JsonObject> results, string configuration)
    {
        var r = results.FirstOrDefault(x => (string?)x["configuration"] == configuration && (string?)x["status"] == "ok");
        return r is null ? double.NaN : (double)r["peak_bytes"]!;
    }
}
