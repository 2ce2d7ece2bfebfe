using Bszo.Cluster.Coordinator;
using Bszo.Cluster.Worker;

namespace Bszo.Cluster;

/// <summary>
/// Entry points for data-parallel zeroth-order training: one coordinator per run, in the process of
/// the run's lead trainer (<see cref="ClusterLead"/>), and any number of workers, each a full training
/// session on its own device that holds a shard of every minibatch.
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
    /// Runs a worker until the run ends: it joins, catches up, and trains its shard of every step. Throws
    /// <see cref="BszoException"/> when the run fails.
    /// </summary>
    public static Task<ClusterWorkerSummary> RunWorkerAsync(ClusterWorkerOptions options, CancellationToken cancellationToken = default) =>
        ClusterWorker.RunAsync(options, cancellationToken);
}
