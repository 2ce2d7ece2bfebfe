using System.Text.Json;
using System.Text.Json.Nodes;
using Bszo.Bench.Measure;
using Bszo.Bench.Setup;
using Bszo.Ort.Graph;
using ScottPlot;

namespace Bszo.Bench.Reports;

/// <summary>Writes one result as three files: <c>NAME.md</c> (readable), <c>NAME.json</c> (raw numbers, machine) and <c>NAME.png</c> (a chart).</summary>
public static class ReportFiles
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Writes the files atomically; returns the paths written. A chart that cannot be drawn is reported, not fatal.</summary>
    public static IReadOnlyList<string> Write(string directory, string name, string markdown, JsonNode json, Plot? chart, Action<string> log, int width = 1000, int height = 560)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(log);
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        var md = Path.Combine(directory, $"{name}.md");
        AtomicFile.WriteAllText(md, markdown);
        written.Add(md);
        var jsonPath = Path.Combine(directory, $"{name}.json");
        AtomicFile.WriteAllText(jsonPath, json.ToJsonString(Json) + "\n");
        written.Add(jsonPath);
        if (chart is not null)
        {
            var png = Path.Combine(directory, $"{name}.png");
            var temp = Path.Combine(directory, $".{name}.{Environment.ProcessId}.tmp.png");
            try
            {
                chart.SavePng(temp, width, height);
                File.Move(temp, png, overwrite: true);
                written.Add(png);
            }
            catch (Exception e) when (e is IOException or DllNotFoundException or TypeInitializationException or InvalidOperationException)
            {
                log($"warning: {name}.png not written ({e.Message}); {name}.json holds the numbers.");
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
        }
        foreach (var path in written) log($"wrote {Path.GetRelativePath(Environment.CurrentDirectory, path)}");
        return written;
    }

    /// <summary>
    /// The fields every suite's JSON starts with: the suite, the command that produced it, the machine
    /// and its load before and after. Suites add their own after them: <c>new JsonObject(Header(...)) { ... }</c>.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, JsonNode?>> Header(string suite, BenchSettings settings, MachineInfo machine, LoadAverage loadBefore, LoadAverage loadAfter)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return
        [
            new("suite", suite),
            new("command", settings.CommandLine),
            new("machine", ToNode(machine)),
            new("load_before", ToNode(loadBefore)),
            new("load_after", ToNode(loadAfter)),
        ];
    }

    /// <summary>Serializes any result record with the probes' snake_case naming.</summary>
    public static JsonNode ToNode<T>(T value) => JsonSerializer.SerializeToNode(value, Probes.ProbeRequest.Json) ?? new JsonObject();
}
