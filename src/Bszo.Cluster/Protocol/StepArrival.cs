using Bszo.Ort.Optimizers;

namespace Bszo.Cluster.Protocol;

/// <summary>A worker at a step boundary, ready to run <see cref="Step"/>.</summary>
[GenerateSerializer]
[Immutable]
[Alias("bszo.cluster.StepArrival")]
public sealed record StepArrival
{
    [Id(0)]
    public required string Worker { get; init; }

    [Id(1)]
    public required int Incarnation { get; init; }

    /// <summary>The step the worker's weights are ready for (its optimizer's <c>StepsTaken</c>).</summary>
    [Id(2)]
    public required long Step { get; init; }

    /// <summary>The record of step <c>Step − 1</c> when this worker just ran it (null after a replay).</summary>
    [Id(3)]
    public StepRecord? Completed { get; init; }

    /// <summary><c>WeightStore.Checksum()</c> at checksum steps and on a worker's first arrival after joining.</summary>
    [Id(4)]
    public string? Checksum { get; init; }

    /// <summary>The lead's last arrival: the run ends at this boundary (its last step, or early stopping).</summary>
    [Id(5)]
    public bool EndsRun { get; init; }
}
