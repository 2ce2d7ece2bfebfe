using System.Text.Json;
using System.Text.Json.Serialization;
using Bszo.Bench.Measure;

namespace Bszo.Bench.Probes;

/// <summary>
/// What one configuration measured in its own process: memory at each phase and the time of every
/// step. The PyTorch reference writes the same keys, so both parse into this record.
/// </summary>
public sealed record ProbeResult
{
    /// <summary>"ort-inference", "bszo-mezo", "bszo-bszo-b", "pytorch-mezo", "pytorch-adam", ...</summary>
    public required string Configuration { get; init; }

    /// <summary>"ok", or why the configuration did not run.</summary>
    public string Status { get; init; } = "ok";

    /// <summary>Trainable (or, for inference, all) parameters.</summary>
    public long Parameters { get; init; }

    public int Threads { get; init; }

    /// <summary>Seconds to load weights and create sessions or modules.</summary>
    public double LoadSeconds { get; init; }

    /// <summary>Memory when the process started measuring.</summary>
    public MemoryState? MemoryStart { get; init; }

    /// <summary>Memory after loading, before the first forward pass.</summary>
    public MemoryState? MemoryLoaded { get; init; }

    /// <summary>Memory after the last step.</summary>
    public MemoryState? MemoryEnd { get; init; }

    /// <summary>VmHWM over the whole process: loading and every step.</summary>
    public long PeakBytes { get; init; }

    /// <summary>VmHWM over the measured steps alone (the peak was reset after one clean forward pass); null where the reset was refused.</summary>
    public long? RunPeakBytes { get; init; }

    /// <summary>With a CUDA device: the most GPU memory the probe's process held (nvidia-smi, above what was in use before it).</summary>
    public long? DevicePeakBytes { get; init; }

    public int WarmupSteps { get; init; }

    /// <summary>Wall time of each measured step (for inference: each forward pass).</summary>
    public List<double> StepSeconds { get; init; } = [];

    /// <summary>Time in forward passes, per measured step.</summary>
    public List<double> ForwardSeconds { get; init; } = [];

    /// <summary>Time in weight sweeps (perturb, restore, update), per measured step.</summary>
    public List<double> SweepSeconds { get; init; } = [];

    /// <summary>PyTorch Adam: time in the backward pass, per measured step.</summary>
    public List<double>? BackwardSeconds { get; init; }

    public int ForwardsPerStep { get; init; }

    /// <summary>Loss of one forward pass at the loaded weights (the same number in every configuration of a workload).</summary>
    public double? InitialLoss { get; init; }

    /// <summary>Loss reported by each step.</summary>
    public List<double> Losses { get; init; } = [];

    /// <summary>Bytes of optimizer state beyond the weights.</summary>
    public long? StateBytes { get; init; }

    /// <summary>PyTorch version, its BLAS library and a 1024² matmul's GFLOP/s (OpenBLAS vs the reference BLAS).</summary>
    public string? Torch { get; init; }

    public string? Blas { get; init; }

    public double? BlasGflops { get; init; }

    /// <summary>The core type whose kernels OpenBLAS ran (its openblas_get_corename), e.g. "Zen" or "Haswell".</summary>
    public string? BlasKernel { get; init; }

    /// <summary>The OpenBLAS override variables as the reference process saw them (null: unset).</summary>
    public Dictionary<string, string?>? BlasEnvironment { get; init; }

    /// <summary>The BLAS library, the kernels it ran and the override variables it saw, in words.</summary>
    [JsonIgnore]
    public string? BlasDescription => Blas is null ? null
        : $"{Blas}, {BlasKernel ?? "unknown"} kernels, "
          + (BlasEnvironment is { } env && env.Any(e => e.Value is not null)
              ? string.Join(" ", env.Where(e => e.Value is not null).Select(e => $"{e.Key}={e.Value}"))
              : "no OpenBLAS override");

    /// <summary>Resident memory over time, when sampling was requested.</summary>
    public List<RssSample>? Samples { get; init; }

    [JsonIgnore]
    public bool Ok => Status == "ok";

    /// <summary>
    /// A result with the memory of a probe's phases: at <paramref name="start"/>, once
    /// <paramref name="loaded"/>, just before the peak was reset for the measured steps
    /// (<paramref name="beforeReset"/>) and at the <paramref name="end"/>. The whole run's peak is the
    /// larger of the peaks before and after the reset; the steps' own peak is the one after.
    /// </summary>
    public static ProbeResult Measured(string configuration, ProbeRequest request, double loadSeconds,
        MemoryState start, MemoryState loaded, MemoryState beforeReset, MemoryState end)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(beforeReset);
        ArgumentNullException.ThrowIfNull(end);
        return new ProbeResult
        {
            Configuration = configuration,
            Threads = request.Threads,
            LoadSeconds = loadSeconds,
            MemoryStart = start,
            MemoryLoaded = loaded,
            MemoryEnd = end,
            PeakBytes = Math.Max(end.Peak, beforeReset.Peak),
            RunPeakBytes = end.Peak,
            WarmupSteps = request.Warmup,
        };
    }

    /// <summary>Median step time in seconds.</summary>
    [JsonIgnore]
    public double MedianStep => Stats.Median(StepSeconds);

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, ProbeRequest.Json));

    public static ProbeResult Load(string path) =>
        JsonSerializer.Deserialize<ProbeResult>(File.ReadAllText(path), ProbeRequest.Json) ?? Throw.Bszo<ProbeResult>($"'{path}' holds no probe result.");

    /// <summary>A configuration that could not be measured, with the reason.</summary>
    public static ProbeResult Failed(string configuration, string reason) => new() { Configuration = configuration, Status = reason };
}

/// <summary>Resident memory at one moment of a probe, and what the probe was doing.</summary>
/// <param name="Seconds">Since sampling started.</param>
/// <param name="Rss">VmRSS in bytes.</param>
/// <param name="Phase">"load", "forward", "sweep", "idle".</param>
public sealed record RssSample(double Seconds, long Rss, string Phase);
