using System.Globalization;
using Bszo.Models.Training;
using Bszo.Ort.Runtime;

namespace Bszo.Cluster.Data;

/// <summary>
/// Minibatches from a <see cref="TensorDataset"/> in the run's batch order (<see cref="RunSpec.Batches"/>),
/// the one a single-process run uses; shard i of n is the contiguous slice <see cref="BatchSchedule.ShardRange"/>.
/// </summary>
public sealed class TensorDatasetBatchSource : ShardedBatchSource
{
    private readonly TensorDataset _data;
    private readonly BatchSchedule _batches;

    private TensorDatasetBatchSource(TensorDataset data, RunSpec spec)
    {
        _data = data;
        _batches = spec.Batches(data.Examples);
        Fingerprint = string.Create(CultureInfo.InvariantCulture, $"tensors:{data.Sha256}:batch={spec.BatchSize}:seed={spec.DataSeed}");
    }

    public override string Fingerprint { get; }

    /// <summary>Creates a source over <paramref name="data"/> in <paramref name="spec"/>'s batch order.</summary>
    public static TensorDatasetBatchSource Create(TensorDataset data, RunSpec spec)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(spec);
        return new TensorDatasetBatchSource(data, spec);
    }

    /// <summary>Creates a source over the dataset in <paramref name="directory"/>.</summary>
    public static TensorDatasetBatchSource Create(string directory, RunSpec spec) => Create(TensorDataset.Load(directory), spec);

    public override TensorBatch? Batch(long stepIndex, int shard, int shards)
    {
        var indices = _batches.IndicesFor(stepIndex);
        var (start, count) = BatchSchedule.ShardRange(indices.Length, shard, shards);
        return count == 0 ? null : _data.Gather(indices.AsSpan(start, count));
    }
}
