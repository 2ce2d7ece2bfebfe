namespace Bszo.Cluster.Protocol;

/// <summary>
/// One worker's part of one forward pass: the sum of its shard's per-example losses (accumulated in
/// double, in example order) and the number of examples.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("bszo.cluster.LossContribution")]
public sealed record LossContribution
{
    [Id(0)]
    public required string Worker { get; init; }

    [Id(1)]
    public required int Incarnation { get; init; }

    [Id(2)]
    public required long Step { get; init; }

    /// <summary>Index of the forward pass within the step (0, 1, ...).</summary>
    [Id(3)]
    public required int Evaluation { get; init; }

    [Id(4)]
    public required double Sum { get; init; }

    [Id(5)]
    public required long Count { get; init; }
}
