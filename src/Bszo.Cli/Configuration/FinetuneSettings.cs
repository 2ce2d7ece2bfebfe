using Bszo.Cli.Commands;
using Bszo.Models.Adapters;
using Bszo.Models.SentenceEncoders;
using Bszo.Models.Training;
using Bszo.Ort.Graph;

namespace Bszo.Cli;

/// <summary>The resolved options of `bszo finetune` (saved in config.json; `eval` and `export` rebuild the run's task and data from them).</summary>
internal sealed record FinetuneSettings
{
    public string? Model { get; init; }

    /// <summary>--head: a sentence encoder's head (null: zero-shot).</summary>
    public string? Head { get; init; }

    /// <summary>--pooling: a sentence encoder's pooling (null: its files' or mean).</summary>
    public string? Pooling { get; init; }

    public string? Prepared { get; init; }

    public IReadOnlyList<string> Trainable { get; init; } = [];

    public int? TrainTopLayers { get; init; }

    public LoraOptions? Lora { get; init; }

    /// <summary>What the run trains, from <see cref="Trainable"/>, <see cref="TrainTopLayers"/> and <see cref="Lora"/>.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public TrainableSelection Selection => new() { Patterns = Trainable, TopLayers = TrainTopLayers, Lora = Lora };

    public TaskSettings Task { get; init; } = new();

    /// <summary>What the run trains (resolved: the model card's recipe applied); null only in files this version did not write.</summary>
    public RunSpec? Spec { get; init; }

    public TrainingOptions Training { get; init; } = new();

    public string Out { get; init; } = "";

    public int Threads { get; init; } = Environment.ProcessorCount;

    public string Device { get; init; } = "cpu";

    /// <summary>The model these settings name, with what shapes it (finetune and every cluster worker resolve it so).</summary>
    public ModelRequest ToModelRequest() => new()
    {
        Model = Model,
        Head = ModelOptions.ParseHead(Head),
        Pooling = Pooling is string pooling ? SentencePooling.Parse(pooling) : null,
        Task = Task.ResolveTask(),
    };

    /// <summary>Where sweeps work on the weights (resolved from --sweep and --device).</summary>
    public WeightSweep Sweep { get; init; } = WeightSweep.Host;
}
