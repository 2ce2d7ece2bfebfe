using Bszo.Models.Data;
using Bszo.Ort;

namespace Bszo.Models.Training;

/// <summary>
/// Which training examples form the batch of each step. The batch of step t is a pure function of
/// (data seed, t): position t·B onward in a sequence of seeded per-epoch permutations. A resumed
/// run therefore needs no data cursor beyond the step index, and every process of a cluster run
/// computes the same batches and takes its own shard of each.
/// </summary>
public sealed class BatchSchedule
{
    private readonly int _count;
    private readonly int _batchSize;
    private readonly ulong _seed;
    private long _cachedEpoch = -1;
    private int[] _cachedOrder = [];

    /// <summary>Batches of <paramref name="batchSize"/> from <paramref name="exampleCount"/> examples.</summary>
    public BatchSchedule(int exampleCount, int batchSize, ulong seed)
    {
        Validate(exampleCount, batchSize);
        _count = exampleCount;
        _batchSize = batchSize;
        _seed = seed;
    }

    /// <summary>
    /// Refuses a batch larger than the training split: cutting it down silently would train with another
    /// batch size than the one the run records.
    /// </summary>
    public static void Validate(int exampleCount, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(exampleCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (batchSize > exampleCount)
        {
            throw new BszoException(BszoException.Format($"--batch-size {batchSize} is larger than the training split.",
                $"at most {exampleCount} examples per step", $"{batchSize}",
                $"use --batch-size {exampleCount} or less, or train on more examples (--num-train, or more data)."));
        }
    }

    /// <summary>Examples per batch.</summary>
    public int BatchSize => _batchSize;

    /// <summary>Passes over the training set completed after <paramref name="steps"/> steps.</summary>
    public double Epoch(long steps) => (double)steps * _batchSize / _count;

    /// <summary>Indices of the examples in the batch of step <paramref name="step"/> (zero-based).</summary>
    public int[] IndicesFor(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        var indices = new int[_batchSize];
        long position = step * _batchSize;
        for (int j = 0; j < _batchSize; j++)
        {
            long q = position + j;
            indices[j] = Order(q / _count)[(int)(q % _count)];
        }
        return indices;
    }

    /// <summary>
    /// The positions [Start, Start + Count) of a batch of <paramref name="batchSize"/> that shard
    /// <paramref name="shard"/> of <paramref name="shards"/> covers. Contiguous slices keep the example
    /// order, so per-shard loss sums add up in the order one process would sum the whole batch.
    /// </summary>
    public static (int Start, int Count) ShardRange(int batchSize, int shard, int shards)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shards);
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(shard, shards);
        int start = (int)((long)batchSize * shard / shards);
        int end = (int)((long)batchSize * (shard + 1) / shards);
        return (start, end - start);
    }

    private int[] Order(long epoch)
    {
        if (epoch != _cachedEpoch)
        {
            _cachedOrder = SeededShuffle.Permutation(_count, _seed, stream: 1000 + epoch);
            _cachedEpoch = epoch;
        }
        return _cachedOrder;
    }
}
