using System.Globalization;
using Bszo.Models.Adapters;
using Bszo.Models.Data;

namespace Bszo.Models.Tasks;

/// <summary>
/// Training a tensor model on NumPy arrays: every example is one row (an index of axis 0) of the
/// arrays an <c>.npz</c> file holds, named after the graph's inputs, plus <c>label</c> (class indices:
/// cross-entropy, scored by accuracy) or <c>target</c> (numbers shaped like the output: mean squared
/// error, scored by R²). Built by <see cref="TensorTaskData"/>, which checks the arrays against the graph.
/// </summary>
public sealed class TensorTask : PromptTask
{
    /// <summary>The task's name in run configurations.</summary>
    public const string TaskName = "tensor";

    /// <summary>The array holding class indices.</summary>
    public const string LabelArray = "label";

    /// <summary>The array holding regression targets.</summary>
    public const string TargetArray = "target";

    private readonly List<string> _classes;

    internal TensorTask(TaskKind kind, int classes)
    {
        Kind = kind;
        _classes = Enumerable.Range(0, classes).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToList();
    }

    public override string Name => TaskName;

    public override TaskKind Kind { get; }

    public override string Description => Kind == TaskKind.Regression
        ? "NumPy arrays: regression on 'target' (mean squared error, scored by R²)"
        : $"NumPy arrays: classification into {_classes.Count} classes from 'label' (cross-entropy, scored by accuracy)";

    public override IReadOnlyList<string> Fields => [];

    /// <summary>Tensor tasks read arrays, not text rows (see <see cref="Examples"/>).</summary>
    public override PromptedExample? Apply(DataRow row) =>
        throw new InvalidOperationException("A tensor task's examples are rows of NumPy arrays; TensorTaskData builds them.");

    /// <summary>One example per row of <paramref name="arrays"/>.</summary>
    internal List<PromptedExample> Examples(IReadOnlyDictionary<string, NpyArray> arrays, int rows)
    {
        var labels = Kind == TaskKind.Regression ? null : arrays[LabelArray];
        return Enumerable.Range(0, rows)
            .Select(i => new PromptedExample("", _classes, labels is null ? 0 : (int)labels[i]) { Tensors = new TensorRow(arrays, i) })
            .ToList();
    }

    /// <summary>
    /// The targets' variance over <paramref name="examples"/>, per value (each output position about
    /// its own mean over the examples), averaged: the mean squared error of always predicting the mean.
    /// </summary>
    public static double TargetVariance(IReadOnlyList<PromptedExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var rows = examples.Select(e => e.Tensors ?? throw new ArgumentException("A tensor task's examples carry their arrays.", nameof(examples))).ToList();
        var target = rows[0].Arrays[TargetArray];
        long width = target.RowLength;
        double total = 0;
        for (long j = 0; j < width; j++)
        {
            double mean = rows.Average(r => r.Arrays[TargetArray][r.Index * width + j]);
            total += rows.Sum(r => Math.Pow(r.Arrays[TargetArray][r.Index * width + j] - mean, 2)) / rows.Count;
        }
        return Math.Max(total / width, double.Epsilon);
    }
}
