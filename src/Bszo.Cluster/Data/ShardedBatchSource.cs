using Bszo.Ort.Runtime;

namespace Bszo.Cluster.Data;

/// <summary>
/// Minibatches as a pure function of (step, shard, shards): every worker of a run can compute its own
/// part of any step's batch without talking to anyone.
/// </summary>
/// <remarks>
/// Implementations must return, for a given step, disjoint shards whose concatenation in shard order
/// is the step's whole batch (shard 0 of 1), so that the mean over all shards equals the single-process
/// mean up to summation order.
/// </remarks>
public abstract class ShardedBatchSource
{
    /// <summary>
    /// Identifies the examples and the batching rule (for example a hash of the files, the batch size
    /// and the seed). Workers whose fingerprints differ would train on different data; the coordinator
    /// refuses them.
    /// </summary>
    public abstract string Fingerprint { get; }

    /// <summary>
    /// Shard <paramref name="shard"/> of <paramref name="shards"/> of the batch of step <paramref name="stepIndex"/>,
    /// or null when that shard is empty (more shards than examples). The caller owns and disposes the batch.
    /// </summary>
    public abstract TensorBatch? Batch(long stepIndex, int shard, int shards);
}
