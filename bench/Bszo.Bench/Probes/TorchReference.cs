using Bszo.Bench.Setup;

namespace Bszo.Bench.Probes;

/// <summary>
/// Runs bench/pytorch/reference.py (MeZO or first-order Adam in PyTorch) on a workload's model and
/// batch in its own process, with Debian's Python.
/// </summary>
public static class TorchReference
{
    /// <summary>Why prompt workloads have no PyTorch row: the reference trains the next-token loss of every position.</summary>
    public const string NoPromptProtocol = "not run: the PyTorch reference implements the next-token loss over every position, not the prompt protocol";

    /// <summary>Measures <paramref name="method"/> ("mezo" or "adam"); a failure (no Python or torch) comes back as a failed result with the reason.</summary>
    public static ProbeResult Run(Workload workload, BatchFiles batch, string method, int steps, int warmup, int threads, string python, string workDirectory)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(batch);
        var configuration = $"pytorch-{method}";
        var output = Path.Combine(workDirectory, $"{configuration}.json");
        List<string> args =
        [
            Repository.TorchReference, "--model", workload.Model.Card.Directory, "--batch", batch.Directory, "--method", method,
            "--steps", ChildProcesses.Arg(steps), "--warmup", ChildProcesses.Arg(warmup), "--threads", ChildProcesses.Arg(threads), "--out", output,
        ];
        if (workload.Model.TorchShape is string shape) args.AddRange(["--shape", shape]);
        if (File.Exists(output)) File.Delete(output);
        (int exit, string error) result;
        try
        {
            result = ChildProcesses.Run(python, args, new Dictionary<string, string> { ["PYTHONDONTWRITEBYTECODE"] = "1" });
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return ProbeResult.Failed(configuration, $"not run: {python} could not be started ({e.Message})");
        }
        if (result.exit != 0 || !File.Exists(output))
        {
            return ProbeResult.Failed(configuration, $"not run: the PyTorch reference exited with {result.exit}: {LastLine(result.error)}");
        }
        return ProbeResult.Load(output);
    }

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "no output";
}
