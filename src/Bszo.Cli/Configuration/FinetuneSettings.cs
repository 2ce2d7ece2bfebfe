using Bszo.Models.Training;

namespace Bszo.Cli;

/// <summary>The resolved options of `bszo finetune` (saved in config.json; `eval` and `export` rebuild the run's task and data from them).</summary>
internal sealed record FinetuneSettings
{
    public string? Model { get; init; }

    public string? Prepared { get; init; }

    public IReadOnlyList<string> Trainable { get; init; } = [];

    public TaskSettings Task { get; init; } = new();

    /// <summary>What the run trains (resolved: the model card's recipe applied); null only in files this version did not write.</summary>
    public RunSpec? Spec { get; init; }

    public TrainingOptions Training { get; init; } = new();

    public string Out { get; init; } = "";

    public int Threads { get; init; } = Environment.ProcessorCount;

    public string Device { get; init; } = "cpu";

    /// <summary>Where sweeps work on the weights (resolved from --sweep and --device).</summary>
    public WeightSweep Sweep { get; init; } = WeightSweep.Host;
}
