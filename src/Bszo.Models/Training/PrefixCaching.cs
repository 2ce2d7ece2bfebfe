using System.Diagnostics;
using System.Globalization;
using Bszo.Models.Adapters;
using Bszo.Models.Tasks;
using Bszo.Ort.Runtime;

namespace Bszo.Models.Training;

/// <summary>What a run trains on: the adapter that collates its batches and the graph its forward passes run.</summary>
/// <param name="Adapter">The run's adapter, or a <see cref="CachedPrefixAdapter"/> around it.</param>
/// <param name="GraphPath">The whole training graph, or the trainable tail.</param>
/// <param name="Cached">Whether batches carry cached frozen-prefix activations.</param>
internal sealed record TrainingGraph(ModelAdapter Adapter, string GraphPath, bool Cached);

/// <summary>
/// Decides whether a run trains on the trainable tail of its graph with the frozen prefix computed
/// once per example (see <see cref="FrozenPrefix"/>), and if so computes every example's rows up front.
/// </summary>
/// <remarks>
/// Rows are computed split by split in the order given, a fixed number of examples per run of the
/// prefix, so a resumed run (and every worker of a cluster run) gets the same rows bit for bit. The
/// prefix's session is disposed before training starts: from then on the frozen part costs only the
/// stored rows, at most <see cref="MaxCacheBytes"/> of activations: a run whose examples would take
/// more (measured up front from their lengths) takes whole-graph passes.
/// </remarks>
internal static class PrefixCaching
{
    /// <summary>The most memory the rows may take; larger caches fall back to whole-graph passes.</summary>
    public const long MaxCacheBytes = 2L << 30;

    private const int RowsPerPrefixRun = 32;

    /// <summary>
    /// The graph <paramref name="setup"/>'s forward passes run: its trainable tail over rows computed
    /// now for every example of <paramref name="splits"/> (the ones this process will run), or the
    /// whole graph when the spec, the task or the graph rules the cache out.
    /// </summary>
    public static TrainingGraph Choose(TrainingSetup setup, IReadOnlyList<IReadOnlyList<PromptedExample>> splits, Action<string> message)
    {
        var whole = new TrainingGraph(setup.Adapter, setup.Model.GraphPath, Cached: false);
        if (!setup.Spec.CacheFrozenPrefix) return whole;
        if (setup.Task.Kind == TaskKind.Generation)
        {
            message("frozen-prefix cache: not used (generation tasks decode through the whole graph)");
            return whole;
        }
        using var prefix = FrozenPrefix.TryOpen(setup.Model, setup.Session, out var reason);
        if (prefix is null)
        {
            message($"frozen-prefix cache: not used ({reason})");
            return whole;
        }
        var adapter = CachedPrefixAdapter.Create(setup.Adapter, prefix, out reason);
        if (adapter is null)
        {
            message($"frozen-prefix cache: not used ({reason})");
            return whole;
        }
        // Decided on every example of the run, whichever splits this process fills, so that every process of
        // a cluster run decides alike (cached rows and whole-graph passes differ in the last bits).
        var data = setup.Data;
        long runExamples = (long)data.Train.Count + data.Dev.Count + data.Test.Count;
        if (!adapter.TryMeasure([.. data.Train, .. data.Dev, .. data.Test], RowsPerPrefixRun, out long runBytes, out reason))
        {
            message($"frozen-prefix cache: not used ({reason})");
            return whole;
        }
        if (runBytes > MaxCacheBytes)
        {
            message($"frozen-prefix cache: not used (the activations of {runExamples} examples would take {Mib(runBytes)}, more than {Mib(MaxCacheBytes)})");
            return whole;
        }
        long examples = splits.Sum(s => (long)s.Count);

        var names = string.Join(", ", prefix.Boundary.Select(b => $"'{b.Name}' {b.Describe()}"));
        message($"frozen-prefix cache: the trainable weights are read by a {prefix.TailNodes}-node tail; " +
                $"computing the {prefix.PrefixNodes}-node frozen prefix once for {examples} examples ({names})");
        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        int before = 0;
        foreach (var split in splits)
        {
            bool filled = adapter.TryFill(split, RowsPerPrefixRun, out reason, (done, _) =>
            {
                if (clock.Elapsed - lastReport < TimeSpan.FromSeconds(10)) return;
                lastReport = clock.Elapsed;
                message($"frozen-prefix cache: {before + done}/{examples} examples, {Mib(adapter.CachedBytes)} ({clock.Elapsed.TotalSeconds:F0} s)");
            });
            if (!filled)
            {
                message($"frozen-prefix cache: not used ({reason})");
                return whole;
            }
            before += split.Count;
        }
        adapter.ReleasePrefix();
        message($"frozen-prefix cache: ready in {clock.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s, {Mib(adapter.CachedBytes)} for {adapter.CachedExamples} examples; " +
                $"forward passes now run the {prefix.TailNodes}-node tail ({Path.GetFileName(prefix.TailGraphPath)})");
        return new TrainingGraph(adapter, prefix.TailGraphPath, Cached: true);
    }

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString(bytes < 10 << 20 ? "F1" : "F0", CultureInfo.InvariantCulture) + " MiB";
}
