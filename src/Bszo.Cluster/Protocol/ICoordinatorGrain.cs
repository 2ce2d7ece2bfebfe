using Bszo.Ort.Optimizers;
using Orleans.Concurrency;

namespace Bszo.Cluster.Protocol;

/// <summary>
/// The coordinator of one data-parallel run (keyed by run name). Workers call it; it never calls them:
/// every answer travels back as the reply to a worker's own call, so workers need no listening port.
/// </summary>
/// <remarks>
/// Calls that wait for other workers (<see cref="BeginStep"/>, <see cref="Submit"/>) are long polls:
/// the coordinator holds them for at most a configured time and then answers
/// <see cref="Verdict.Retry"/>, and the worker repeats the same, idempotent call. No call therefore
/// depends on Orleans' response timeout, however slow the slowest worker is.
/// </remarks>
[Alias("bszo.cluster.ICoordinatorGrain")]
public interface ICoordinatorGrain : IGrainWithStringKey
{
    /// <summary>The run's training specification, as JSON (see <c>ClusterTrainingSpec</c>).</summary>
    [Alias("describe")]
    Task<RunDescription> Describe();

    /// <summary>Registers a worker (again, after a restart); it then catches up and asks to begin a step.</summary>
    [Alias("join")]
    Task<JoinReply> Join(JoinRequest request);

    /// <summary>Liveness signal, sent from a timer independent of the training loop.</summary>
    [Alias("heartbeat")]
    [OneWay]
    Task Heartbeat(string worker, int incarnation);

    /// <summary>Up to <paramref name="max"/> trajectory records from step <paramref name="from"/> (seeds and losses: no weights).</summary>
    [Alias("records")]
    Task<StepRecord[]> Records(long from, int max);

    /// <summary>The step barrier: hands in the record and, at checksum steps, the weight checksum; returns this worker's shard.</summary>
    [Alias("begin-step")]
    Task<StepPlan> BeginStep(StepArrival arrival);

    /// <summary>One forward pass's shard loss sum; returns the global mean once every member has sent its own.</summary>
    [Alias("submit")]
    Task<RoundReply> Submit(LossContribution contribution);
}
