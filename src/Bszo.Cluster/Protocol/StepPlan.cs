namespace Bszo.Cluster.Protocol;

/// <summary>The coordinator's answer at a step boundary: which shard of the step's minibatch to evaluate.</summary>
[GenerateSerializer]
[Immutable]
[Alias("bszo.cluster.StepPlan")]
public sealed record StepPlan
{
    [Id(0)]
    public required Verdict Verdict { get; init; }

    [Id(1)]
    public long Step { get; init; }

    /// <summary>This worker's rank among the step's members: the shard it takes.</summary>
    [Id(2)]
    public int Shard { get; init; }

    /// <summary>Members of the step: the number of shards.</summary>
    [Id(3)]
    public int Shards { get; init; }

    [Id(4)]
    public string? Error { get; init; }

    public static StepPlan Of(Verdict verdict, string? error = null) => new() { Verdict = verdict, Error = error };
}
