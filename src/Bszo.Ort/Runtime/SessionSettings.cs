using Microsoft.ML.OnnxRuntime;

namespace Bszo.Ort.Runtime;

/// <summary>ONNX Runtime settings for training sessions. The defaults were measured on 2-core CPU machines.</summary>
public sealed record SessionSettings
{
    /// <summary>Intra-op threads. Left at 0, ONNX Runtime used one thread on small VMs, so the default is explicit.</summary>
    public int IntraOpThreads { get; init; } = Environment.ProcessorCount;

    /// <summary>Graph optimizations. Full optimization is safe because trainable weights are graph inputs, never constants.</summary>
    public GraphOptimizationLevel OptimizationLevel { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>
    /// ONNX Runtime's memory pattern. Off by default: batch shapes vary (sequence length), and with
    /// varying shapes the pattern plus the arena doubled activation memory in measurements.
    /// </summary>
    public bool MemoryPattern { get; init; }

    /// <summary>Execution device: "cpu", or "cuda" / "cuda:N" in a GPU build.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>
    /// Let nodes the device cannot run (or that its provider prefers to leave to the CPU, such as
    /// shape computations) run on the CPU instead of failing at load. Off by default: a weight read
    /// by a CPU node would be copied off the device on every run.
    /// </summary>
    public bool AllowCpuFallback { get; init; }

    /// <summary>Builds ONNX Runtime session options. The caller owns and disposes the result.</summary>
    public SessionOptions CreateOptions()
    {
        var options = new SessionOptions
        {
            IntraOpNumThreads = Math.Max(1, IntraOpThreads),
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = OptimizationLevel,
            EnableMemoryPattern = MemoryPattern,
            EnableCpuMemArena = true, // returning memory to the OS cost ~70% run time in measurements
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        try
        {
            // Idle ORT threads must not spin: perturbation sweeps run on the same cores between runs.
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
            ExecutionDevice.Configure(options, Device, AllowCpuFallback);
            return options;
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }
}
