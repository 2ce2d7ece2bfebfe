using System.Globalization;
using Bszo.Ort.Optimizers;

namespace Bszo.Cluster.Coordinator;

/// <summary>Bitwise comparison of step records: workers that apply identical sweeps produce identical records.</summary>
internal static class RecordComparison
{
    /// <summary>The first difference between <paramref name="a"/> and <paramref name="b"/>, or null when they are identical.</summary>
    public static string? Difference(StepRecord a, StepRecord b)
    {
        if (a.Step != b.Step) return $"step {a.Step} vs {b.Step}";
        if (!a.Seeds.SequenceEqual(b.Seeds)) return $"seeds [{string.Join(", ", a.Seeds)}] vs [{string.Join(", ", b.Seeds)}]";
        var losses = LossDifference(a.Losses, b.Losses);
        if (losses is not null) return losses;
        if (!Same(a.LearningRate, b.LearningRate)) return $"learning rate {R(a.LearningRate)} vs {R(b.LearningRate)}";
        foreach (var (name, value) in a.Scalars)
        {
            if (!b.Scalars.TryGetValue(name, out var other) || !Same(value, other)) return $"{name} {R(value)} vs {(b.Scalars.ContainsKey(name) ? R(other) : "missing")}";
        }
        return a.Scalars.Count != b.Scalars.Count ? "different derived scalars" : null;
    }

    /// <summary>The first difference between two loss lists, or null.</summary>
    public static string? LossDifference(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count != b.Count) return $"{a.Count} losses vs {b.Count}";
        for (int i = 0; i < a.Count; i++)
        {
            if (!Same(a[i], b[i])) return $"loss {i}: {R(a[i])} vs {R(b[i])}";
        }
        return null;
    }

    private static bool Same(double a, double b) => BitConverter.DoubleToInt64Bits(a) == BitConverter.DoubleToInt64Bits(b);

    private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
