using Bszo.Cluster.Coordinator;
using Bszo.Cluster.Worker;

namespace Bszo.Cluster;

/// <summary>
/// Entry points for data-parallel zeroth-order training: one coordinator per run, any number of
/// workers, each worker a full training session on its own device and a shard of every minibatch.
/// </summary>
/// <remarks>
/// Workers exchange only scalars: per forward pass each sends its shard's loss sum and example count
/// and receives the global mean. Seeds are a pure function of the run seed and the step, so every
/// worker applies bit-identical sweeps and no weight or gradient ever crosses the network.
/// </remarks>
public static class ClusterRun
{
    /// <summary>Starts a coordinator and returns a handle to watch and stop it (tests, progress displays).</summary>
    public static Task<ClusterCoordinator> StartCoordinatorAsync(ClusterCoordinatorOptions options, CancellationToken cancellationToken = default) =>
        ClusterCoordinator.StartAsync(options, cancellationToken);

    /// <summary>
    /// Runs a coordinator until its run ends. Cancelling the token ends the run gracefully at the next
    /// checksum step (or leaves it resumable if no worker is there to finish it). Throws
    /// <see cref="BszoException"/> when the run fails (the summary is still written).
    /// </summary>
    public static async Task<ClusterRunSummary> RunCoordinatorAsync(ClusterCoordinatorOptions options, CancellationToken cancellationToken = default)
    {
        await using var coordinator = await ClusterCoordinator.StartAsync(options, cancellationToken).ConfigureAwait(false);
        var summary = await coordinator.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (summary.State == RunState.Failed) throw new BszoException(summary.Error ?? "The run failed.");
        return summary;
    }

    /// <summary>
    /// Runs a worker until the run ends: it joins, catches up, trains its shard of every step, and saves
    /// the final weights under its work directory. Throws <see cref="BszoException"/> when the run fails.
    /// </summary>
    public static Task<ClusterWorkerSummary> RunWorkerAsync(ClusterWorkerOptions options, CancellationToken cancellationToken = default) =>
        ClusterWorker.RunAsync(options, cancellationToken);
}
