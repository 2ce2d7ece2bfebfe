namespace Bszo.Cluster.Coordinator;

/// <summary>
/// A step whose members were fixed at its boundary: its loss rounds, and which members are still alive.
/// </summary>
/// <remarks>
/// <para><b>Losing a member mid-step.</b> Finite differences subtract losses measured on the same
/// examples; a loss measured over fewer shards than the one before it would differ by the lost shard's
/// data term, which ε then amplifies into a meaningless gradient. So when a member is lost, each later
/// round is reported as the survivors' mean plus the offset between the previous round's reported value
/// and the survivors' own mean of that previous round:
/// <c>L̂ₑ = mean_S(e) + (L̂ₑ₋₁ − mean_S(e−1))</c>. Every difference between two rounds of the step is then
/// a difference of losses over one set of shards. With no loss the offset is exactly 0.0 and the
/// reported value is bit for bit the plain mean.</para>
/// </remarks>
internal sealed class RunningStep
{
    private readonly List<LossRound> _rounds = [];

    public RunningStep(long step, IReadOnlyList<string> participants, TimeSpan now)
    {
        Step = step;
        Participants = participants;
        Alive = new HashSet<string>(participants, StringComparer.Ordinal);
        LastProgress = now;
    }

    public long Step { get; }

    /// <summary>Members in rank order (rank = shard).</summary>
    public IReadOnlyList<string> Participants { get; }

    public HashSet<string> Alive { get; }

    /// <summary>When the step began or its last round completed.</summary>
    public TimeSpan LastProgress { get; set; }

    public IReadOnlyList<LossRound> Rounds => _rounds;

    /// <summary>The round of evaluation <paramref name="evaluation"/>: an existing one, or the next one, opened now.</summary>
    public LossRound? Round(int evaluation)
    {
        if (evaluation < _rounds.Count) return _rounds[evaluation];
        if (evaluation == _rounds.Count && (_rounds.Count == 0 || _rounds[^1].Value is not null))
        {
            _rounds.Add(new LossRound(evaluation));
            return _rounds[^1];
        }
        return null; // a round beyond the next one: no member can have the previous answer yet
    }

    /// <summary>The round now gathering, if any.</summary>
    public LossRound? Open => _rounds.Count > 0 && _rounds[^1].Value is null ? _rounds[^1] : null;

    /// <summary>
    /// Completes the open round if every living member has sent its part; returns its value (or null).
    /// </summary>
    public double? TryComplete(LossRound round, TimeSpan now, out long examples)
    {
        examples = 0;
        if (round.Value is not null || Alive.Count == 0 || Alive.Any(w => !round.Has(w))) return null;
        var survivors = Participants.Where(Alive.Contains).ToList();
        var (mean, count) = round.MeanOver(survivors);
        examples = count;
        double value = mean;
        if (round.Evaluation > 0)
        {
            var previous = _rounds[round.Evaluation - 1];
            value = mean + (previous.Value!.Value - previous.MeanOver(survivors).Mean);
        }
        round.Complete(value);
        LastProgress = now;
        return value;
    }

    /// <summary>The step is abandoned (no member left): waiting callers are released.</summary>
    public void Abandon()
    {
        foreach (var r in _rounds) r.Abandon();
    }
}
