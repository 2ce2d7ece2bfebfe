using Bszo.Bench.Setup;

namespace Bszo.Bench.Cluster;

/// <summary>What one workload of the cluster suite trains: `bszo finetune` arguments beyond the common ones, and its steps.</summary>
/// <param name="Name">The workload's name on the command line.</param>
/// <param name="Description">What it is, for the report.</param>
/// <param name="Arguments">Its own `bszo finetune` arguments.</param>
/// <param name="Steps">Steps per run (the first is left out of the step time).</param>
public sealed record ClusterWorkload(string Name, string Description, IReadOnlyList<string> Arguments, long Steps)
{
    /// <summary>The workloads of the committed results.</summary>
    public static IReadOnlyList<string> Defaults { get; } = ["use-lite-head", "use-lite", "opt-125m"];

    /// <summary>The workload <paramref name="name"/> (exporting the random OPT decoder once if it is asked for).</summary>
    public static ClusterWorkload Resolve(string name, string python, Action<string> log) => name switch
    {
        "use-lite-head" => new(name, "the default model's classification head over cached encoder rows (its card's recipe): a step's compute is a fraction of a millisecond, so its time is the cluster's coordination",
            [], 300),
        "use-lite" => new(name, "every weight of the default model (6.98 M): each forward pass runs the whole encoder", ["--trainable", "*", "--learning-rate", "1e-4"], 6),
        "opt-125m" => new(name, "random weights in the OPT-125m shape (125 M), scored as a decoder on the same task",
            ["--model", BenchModel.Resolve("opt-125m", python, log).Card.Directory, "--learning-rate", "1e-6"], 3),
        _ => Throw.Bszo<ClusterWorkload>($"Unknown cluster workload '{name}'.", string.Join(", ", Defaults), name),
    };
}
