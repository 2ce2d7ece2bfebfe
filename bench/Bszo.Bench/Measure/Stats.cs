namespace Bszo.Bench.Measure;

/// <summary>Summary statistics of repeated measurements.</summary>
public static class Stats
{
    /// <summary>The median (mean of the middle two for an even count); NaN for none.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
    }

    /// <summary>The arithmetic mean; NaN for none.</summary>
    public static double Mean(IEnumerable<double> values)
    {
        var list = values.ToList();
        return list.Count == 0 ? double.NaN : list.Average();
    }

    /// <summary>The sample standard deviation (n − 1); 0 for a single value, NaN for none.</summary>
    public static double StandardDeviation(IEnumerable<double> values)
    {
        var list = values.ToList();
        if (list.Count == 0) return double.NaN;
        if (list.Count == 1) return 0;
        double mean = list.Average();
        return Math.Sqrt(list.Sum(v => (v - mean) * (v - mean)) / (list.Count - 1));
    }
}
