using System.Globalization;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;

namespace Bszo.Cluster.Data;

/// <summary>
/// Minibatches from a <see cref="TensorDataset"/>: each epoch visits the examples in a fresh order,
/// and step t takes the next <see cref="MinibatchOptions.BatchSize"/> of them.
/// </summary>
/// <remarks>
/// The order of epoch e is a Fisher–Yates shuffle driven by the counter-based generator keyed on
/// (seed, e), so the batch of any step is a pure function of the seed and the step on every machine
/// and .NET version. Shard i of n is the contiguous slice <see cref="ShardedBatchSource.ShardRange"/>.
/// </remarks>
public sealed class TensorDatasetBatchSource : ShardedBatchSource
{
    private readonly TensorDataset _data;
    private readonly MinibatchOptions _options;
    private readonly Dictionary<long, int[]> _orders = [];

    private TensorDatasetBatchSource(TensorDataset data, MinibatchOptions options)
    {
        _data = data;
        _options = options;
        Fingerprint = string.Create(CultureInfo.InvariantCulture, $"tensors:{data.Sha256}:batch={options.BatchSize}:seed={options.Seed}");
    }

    public override string Fingerprint { get; }

    public override int BatchSize => _options.BatchSize;

    /// <summary>Creates a source over <paramref name="data"/>.</summary>
    public static TensorDatasetBatchSource Create(TensorDataset data, MinibatchOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new TensorDatasetBatchSource(data, options);
    }

    /// <summary>Creates a source over the dataset in <paramref name="directory"/>.</summary>
    public static TensorDatasetBatchSource Create(string directory, MinibatchOptions options) => Create(TensorDataset.Load(directory), options);

    public override TensorBatch? Batch(long stepIndex, int shard, int shards)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepIndex);
        var (start, count) = ShardRange(_options.BatchSize, shard, shards);
        if (count == 0) return null;
        var indices = new int[count];
        long n = _data.Examples;
        for (int i = 0; i < count; i++)
        {
            long position = stepIndex * _options.BatchSize + start + i;
            indices[i] = Order(position / n)[position % n];
        }
        return _data.Gather(indices);
    }

    /// <summary>The example order of one epoch (the two most recent are kept: a batch spans at most two).</summary>
    private int[] Order(long epoch)
    {
        if (_orders.TryGetValue(epoch, out var order)) return order;
        order = new int[_data.Examples];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        ulong key = SquaresRng.Key(SquaresRng.DeriveSeed(_options.Seed, epoch, 0), 0);
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = (int)(SquaresRng.Next((ulong)i, key) % (uint)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        if (_orders.Count >= 2) _orders.Remove(_orders.Keys.Min());
        _orders[epoch] = order;
        return order;
    }
}
