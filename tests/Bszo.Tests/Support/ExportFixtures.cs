using System.Diagnostics;
using System.Text.Json;

namespace Bszo.Tests.Support;

/// <summary>
/// Runs <c>python3 -m tools.export test-fixtures</c> once per test run (Debian's /usr/bin/python3 with
/// torch and onnx, installed by scripts/prerequisites.sh test) and shares its output: tiny random
/// checkpoints of every family, their exports, Optimum-style copies and the exporter's error messages.
/// </summary>
internal static class ExportFixtures
{
    public static readonly string[] Families = ["gpt2", "opt", "qwen2", "llama", "bert", "roberta"];

    public static readonly string[] Decoders = ["gpt2", "opt", "qwen2", "llama"];

    private static readonly Lazy<string> Root = new(Generate, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The fixture directory (generated on first use, deleted when the process exits).</summary>
    public static string Directory => Root.Value;

    public static string Model(string family) => Path.Combine(Directory, "models", family);

    public static string Checkpoint(string family) => Path.Combine(Directory, "checkpoints", family);

    public static string Optimum(string family) => Path.Combine(Directory, "optimum", family);

    /// <summary>The texts and ids the independent reference tokenizers produced for a checkpoint.</summary>
    public static (string[] Texts, int[][] Ids) ExpectedTokens(string family)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Checkpoint(family), "expected_tokens.json")));
        var texts = doc.RootElement.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray();
        var ids = doc.RootElement.GetProperty("ids").EnumerateArray().Select(r => r.EnumerateArray().Select(i => i.GetInt32()).ToArray()).ToArray();
        return (texts, ids);
    }

    private static string Generate()
    {
        var output = Path.Combine(Path.GetTempPath(), "bszo-tests", "export-" + Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-m", "tools.export", "test-fixtures", "--out", output }) start.ArgumentList.Add(a);
        start.Environment["PYTHONPATH"] = Repository.Root;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"tools/export test-fixtures failed (exit {process.ExitCode}); " +
                $"run scripts/prerequisites.sh test to install python3-torch and python3-onnx.\n{stderr.Result}\n{stdout.Result}");
        }
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                System.IO.Directory.Delete(output, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        return output;
    }
}
