namespace Bszo.Cluster.Protocol;

/// <summary>The global loss of one forward pass, identical for every worker.</summary>
[GenerateSerializer]
[Immutable]
[Alias("bszo.cluster.RoundReply")]
public sealed record RoundReply
{
    [Id(0)]
    public required Verdict Verdict { get; init; }

    [Id(1)]
    public double Loss { get; init; }

    [Id(2)]
    public string? Error { get; init; }

    public static RoundReply Of(Verdict verdict, string? error = null) => new() { Verdict = verdict, Error = error };
}
