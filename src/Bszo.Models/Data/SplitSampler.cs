using Bszo.Models.Adapters;
using Bszo.Ort;

namespace Bszo.Models.Data;

/// <summary>
/// Draws train/dev/test examples as MeZO does: seeded random subsets (1000/500/1000 by default),
/// dev taken from the training pool, test from the test file when there is one; or k examples per
/// class for train and dev (the RoBERTa protocol).
/// </summary>
/// <remarks>
/// When a dataset has no separate test (or dev) file, the test examples are set aside first from
/// the one pool, so test never overlaps dev or train. If the pool is smaller than the requested
/// counts, each split shrinks in proportion. A split that ends up empty is an error.
/// </remarks>
public static class SplitSampler
{
    private const long TestStream = 1, DevStream = 2, PoolStream = 3;

    /// <summary>Samples the splits. <paramref name="dev"/> and <paramref name="test"/> may be null (drawn from <paramref name="train"/>).</summary>
    public static DataSplits Sample(IReadOnlyList<PromptedExample> train, IReadOnlyList<PromptedExample>? dev,
        IReadOnlyList<PromptedExample>? test, SamplingOptions options, string source)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Train <= 0 || options.Dev <= 0 || options.Test <= 0 || options.KPerClass is <= 0)
        {
            Throw.Bszo("Split sizes must be positive.", "--num-train, --num-dev, --num-test (and --k-shot) ≥ 1",
                $"{options.Train}/{options.Dev}/{options.Test}{(options.KPerClass is int perClass ? $", k={perClass}" : "")}");
        }
        RequireRows(train, "training", source);
        var pool = Shuffled(train, options.Seed, PoolStream);

        // Counts drawn from the one training pool shrink together when the pool is too small.
        long fromPool = options.Train + (dev is null ? options.Dev : 0) + (test is null ? options.Test : 0);
        double scale = options.KPerClass is null ? Math.Min(1.0, (double)pool.Count / fromPool) : 1.0;
        int Scaled(int requested) => (int)(requested * scale);

        List<PromptedExample> testSplit;
        if (test is null)
        {
            // Set aside first, so that test never overlaps dev or train.
            int want = options.KPerClass is null ? Scaled(options.Test) : Math.Min(options.Test, pool.Count / 2);
            testSplit = pool.Take(want).ToList();
            pool = pool.Skip(want).ToList();
        }
        else
        {
            RequireRows(test, "test", source);
            testSplit = Shuffled(test, options.Seed, TestStream).Take(options.Test).ToList();
        }

        List<PromptedExample> devSplit, trainSplit;
        if (options.KPerClass is int k)
        {
            if (dev is not null) RequireRows(dev, "dev", source);
            devSplit = PerClass(dev is null ? pool : Shuffled(dev, options.Seed, DevStream), k, exclude: null);
            var used = dev is null ? devSplit.ToHashSet<object>(ReferenceEqualityComparer.Instance) : null;
            trainSplit = PerClass(pool, k, used);
        }
        else if (dev is null)
        {
            // MeZO draws train + dev together and keeps the last num_dev of them as dev.
            int wantDev = Scaled(options.Dev);
            var both = pool.Take(Scaled(options.Train) + wantDev).ToList();
            devSplit = both.Skip(Math.Max(0, both.Count - wantDev)).ToList();
            trainSplit = both.Take(both.Count - devSplit.Count).ToList();
        }
        else
        {
            RequireRows(dev, "dev", source);
            devSplit = Shuffled(dev, options.Seed, DevStream).Take(options.Dev).ToList();
            trainSplit = pool.Take(options.Train).ToList();
        }

        RequireSplit(trainSplit, "train", source);
        RequireSplit(devSplit, "dev", source);
        RequireSplit(testSplit, "test", source);
        return new DataSplits(trainSplit, devSplit, testSplit);
    }

    private static List<PromptedExample> PerClass(IReadOnlyList<PromptedExample> source, int k, HashSet<object>? exclude)
    {
        var counts = new Dictionary<int, int>();
        var picked = new List<PromptedExample>();
        foreach (var e in source)
        {
            if (exclude is not null && exclude.Contains(e)) continue;
            int n = counts.GetValueOrDefault(e.Label);
            if (n >= k) continue;
            counts[e.Label] = n + 1;
            picked.Add(e);
        }
        return picked;
    }

    private static List<PromptedExample> Shuffled(IReadOnlyList<PromptedExample> items, ulong seed, long stream)
    {
        var order = SeededShuffle.Permutation(items.Count, seed, stream);
        return order.Select(i => items[i]).ToList();
    }

    private static void RequireRows(IReadOnlyList<PromptedExample> rows, string what, string source)
    {
        if (rows.Count == 0)
        {
            Throw.Bszo($"The {what} data ({source}) has no examples.", "at least one row", "none",
                "check the file (an empty file, or every row filtered out?).");
        }
    }

    private static void RequireSplit(List<PromptedExample> split, string name, string source)
    {
        if (split.Count == 0)
        {
            Throw.Bszo($"The {name} split of {source} is empty.", "at least one example in train, dev and test",
                "no examples left for it", "use a larger data file, give separate --dev/--test files, or lower --num-train/--num-dev/--num-test.");
        }
    }
}
