namespace Bszo.Cluster.Coordinator;

/// <summary>One forward pass of one step: the members' shard sums, and once all are in, the global loss.</summary>
internal sealed class LossRound(int evaluation)
{
    private readonly Dictionary<string, (double Sum, long Count)> _parts = new(StringComparer.Ordinal);

    public int Evaluation { get; } = evaluation;

    /// <summary>The loss every member receives; null until complete.</summary>
    public double? Value { get; private set; }

    /// <summary>Completes with the value, or with NaN when the step was abandoned.</summary>
    public TaskCompletionSource<double> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Has(string worker) => _parts.ContainsKey(worker);

    /// <summary>Records a worker's part; a repeated call (a retry) replaces it.</summary>
    public void Add(string worker, double sum, long count) => _parts[worker] = (sum, count);

    /// <summary>
    /// Σ sums / Σ counts over <paramref name="workers"/> taken in the given (rank) order, so the result is
    /// the same double whoever computes it.
    /// </summary>
    public (double Mean, long Count) MeanOver(IEnumerable<string> workers)
    {
        double sum = 0;
        long count = 0;
        foreach (var w in workers)
        {
            var (s, c) = _parts[w];
            sum += s;
            count += c;
        }
        return (count > 0 ? sum / count : double.NaN, count);
    }

    public void Complete(double value)
    {
        Value = value;
        Completion.TrySetResult(value);
    }

    public void Abandon() => Completion.TrySetResult(double.NaN);
}
