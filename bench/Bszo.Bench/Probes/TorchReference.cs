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

    /// <summary>
    /// Variables that make OpenBLAS run another core type's kernels or assume another cache size than
    /// it detects (Haswell's kernels on a newer CPU ran a 2048×768×3072 matmul at a quarter of the speed).
    /// </summary>
    public static IReadOnlyList<string> OpenBlasOverrides { get; } = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"];

    /// <summary>Names the configuration that keeps the environment's OpenBLAS override.</summary>
    public const string OverrideSuffix = "(environment's OpenBLAS override)";

    /// <summary>
    /// Measures <paramref name="method"/> ("mezo" or "adam"); a failure (no Python or torch) comes back
    /// as a failed result with the reason. The reference runs with OpenBLAS's own choice of kernels (the
    /// override variables removed from its environment, and from no other process), or with
    /// <paramref name="keepOpenBlasOverride"/> as this environment sets them.
    /// </summary>
    public static ProbeResult Run(Workload workload, BatchFiles batch, string method, int steps, int warmup, int threads, string python, string workDirectory,
        bool keepOpenBlasOverride = false)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(batch);
        var configuration = keepOpenBlasOverride ? $"pytorch-{method} {OverrideSuffix}" : $"pytorch-{method}";
        if (keepOpenBlasOverride && OpenBlasOverrides.All(v => Environment.GetEnvironmentVariable(v) is null))
        {
            return ProbeResult.Failed(configuration, $"not run: this environment sets no OpenBLAS override ({string.Join(", ", OpenBlasOverrides)})");
        }
        var output = Path.Combine(workDirectory, keepOpenBlasOverride ? $"pytorch-{method}-override.json" : $"{configuration}.json");
        var environment = new Dictionary<string, string?> { ["PYTHONDONTWRITEBYTECODE"] = "1" };
        if (!keepOpenBlasOverride) foreach (var name in OpenBlasOverrides) environment[name] = null;
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
            result = ChildProcesses.Run(python, args, environment);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return ProbeResult.Failed(configuration, $"not run: {python} could not be started ({e.Message})");
        }
        if (result.exit != 0 || !File.Exists(output))
        {
            return ProbeResult.Failed(configuration, $"not run: the PyTorch reference exited with {result.exit}: {LastLine(result.error)}");
        }
        return ProbeResult.Load(output) with { Configuration = configuration };
    }

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "no output";
}
