namespace Bszo.Bench.Setup;

/// <summary>What every suite shares: workloads, batch, threads, repetitions, where results go.</summary>
public sealed record BenchSettings
{
    /// <summary>
    /// The workloads of the committed results: the default model, OPT-125m at 128 and 256 tokens,
    /// OPT-350m at 128, and OPT-125m on MeZO's prompt task (SST-2 template, 128-token rows).
    /// </summary>
    public static IReadOnlyList<string> DefaultWorkloads { get; } = ["use-lite:128", "opt-125m:128", "opt-125m:256", "opt-350m:128", "opt-125m:128:prompt"];

    /// <summary>The optimizers measured against inference and PyTorch.</summary>
    public static IReadOnlyList<string> Optimizers { get; } = ["mezo", "subzero", "bszo", "bszo-b"];

    /// <summary>The speed suite's configurations: every optimizer, and MeZO and BSZO again with Rademacher directions.</summary>
    public static IReadOnlyList<string> SpeedOptimizers { get; } =
        [.. Optimizers, "mezo" + Probes.ProbeRequest.RademacherSuffix, "bszo" + Probes.ProbeRequest.RademacherSuffix];

    /// <summary>On prompt workloads, the optimizers measured again with the LM head over every position.</summary>
    public static IReadOnlyList<string> FullHeadOptimizers { get; } = ["mezo", "bszo"];

    /// <summary>"model:sequence" or "model:sequence:prompt" workloads.</summary>
    public IReadOnlyList<string> Workloads { get; init; } = DefaultWorkloads;

    public int Batch { get; init; } = 16;

    /// <summary>ONNX Runtime intra-op threads, sweep threads and PyTorch threads: all cores by default.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Measured steps per memory configuration.</summary>
    public int MemorySteps { get; init; } = 2;

    /// <summary>Measured rounds of the speed probe (each round: every optimizer one step).</summary>
    public int SpeedRounds { get; init; } = 5;

    /// <summary>Unmeasured steps or rounds first.</summary>
    public int Warmup { get; init; } = 1;

    /// <summary>Resident-memory sampling interval of the memory probes, in milliseconds (0: off).</summary>
    public int SampleMilliseconds { get; init; } = 5;

    /// <summary>Bytes per buffer of the memory-copy roofline.</summary>
    public long CopyBytes { get; init; } = 256L << 20;

    /// <summary>Execution device of inference and Bszo's probes: "cpu", or "cuda[:N]" in a GPU build (memory suite).</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Run the PyTorch references.</summary>
    public bool Torch { get; init; } = true;

    /// <summary>Debian's Python, which sees python3-torch (a pyenv Python first on PATH does not).</summary>
    public string Python { get; init; } = "/usr/bin/python3";

    /// <summary>Where the result files go.</summary>
    public string Out { get; init; } = Repository.Results;

    /// <summary>Scratch space for batches, prepared models and probe files (deleted per workload).</summary>
    public string Scratch { get; init; } = Path.Combine(Path.GetTempPath(), $"bszo-bench-{Environment.ProcessId}");

    /// <summary>True for the smoke configuration: tiny model, few steps, BenchmarkDotNet's dry job; timings mean nothing.</summary>
    public bool Smoke { get; init; }

    /// <summary>The command line that produced the results (quoted in the reports).</summary>
    public string CommandLine { get; init; } = "";

    /// <summary>Progress messages.</summary>
    public Action<string> Log { get; init; } = _ => { };
}
