namespace Bszo.Bench.Accuracy;

/// <summary>
/// Multinomial logistic regression with an L2 penalty, fitted by full-batch gradient descent with
/// Nesterov momentum: a first-order fit of a linear head on frozen features, the ceiling that
/// zeroth-order training of that head is measured against.
/// </summary>
/// <remarks>
/// The loss is mean cross-entropy + (λ/2)·‖W‖² (the bias is not penalised). Its gradient is
/// L-smooth with L ≤ ½·λₘₐₓ(X̃ᵀX̃/n) + λ, X̃ the features with a constant 1 column, because the
/// softmax Hessian diag(p) − ppᵀ is at most ½ in every direction; the step is 1/L. All arithmetic is
/// in double precision.
/// </remarks>
public sealed class LogisticRegression
{
    private readonly double[] _weights; // [classes, features + 1], the bias last in each row

    private LogisticRegression(int features, int classes)
    {
        Features = features;
        Classes = classes;
        _weights = new double[classes * (features + 1)];
    }

    /// <summary>Feature count.</summary>
    public int Features { get; }

    /// <summary>Class count.</summary>
    public int Classes { get; }

    /// <summary>
    /// Fits the regression to <paramref name="x"/> (one feature row per example) and labels
    /// <paramref name="y"/> in [0, <paramref name="classes"/>), starting from zero weights.
    /// </summary>
    public static LogisticRegression Fit(IReadOnlyList<float[]> x, IReadOnlyList<int> y, int classes, double l2, int iterations)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count == 0 || x.Count != y.Count) throw new ArgumentException($"{x.Count} feature rows and {y.Count} labels.", nameof(y));
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        ArgumentOutOfRangeException.ThrowIfNegative(l2);
        int features = x[0].Length;
        var model = new LogisticRegression(features, classes);
        double step = 1 / (0.5 * LargestEigenvalue(x) + l2);
        var previous = new double[model._weights.Length];
        var lookahead = new double[model._weights.Length];
        var gradient = new double[model._weights.Length];
        for (int t = 1; t <= iterations; t++)
        {
            // Nesterov: evaluate the gradient at w + (t−1)/(t+2)·(w − w_prev).
            double momentum = (t - 1.0) / (t + 2.0);
            for (int i = 0; i < lookahead.Length; i++) lookahead[i] = model._weights[i] + momentum * (model._weights[i] - previous[i]);
            Gradient(lookahead, x, y, classes, l2, gradient);
            Array.Copy(model._weights, previous, previous.Length);
            for (int i = 0; i < lookahead.Length; i++) model._weights[i] = lookahead[i] - step * gradient[i];
        }
        return model;
    }

    /// <summary>The penalised mean cross-entropy of the current weights on (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public double Loss(IReadOnlyList<float[]> x, IReadOnlyList<int> y, double l2) => Loss(_weights, x, y, Classes, l2);

    /// <summary>The gradient of the penalised loss at the current weights (same layout as the weights).</summary>
    public double[] Gradient(IReadOnlyList<float[]> x, IReadOnlyList<int> y, double l2)
    {
        var gradient = new double[_weights.Length];
        Gradient(_weights, x, y, Classes, l2, gradient);
        return gradient;
    }

    /// <summary>Moves weight <paramref name="index"/> by <paramref name="delta"/> (finite-difference checks).</summary>
    internal void Nudge(int index, double delta) => _weights[index] += delta;

    /// <summary>The arg-max class of each row.</summary>
    public int[] Predict(IReadOnlyList<float[]> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var logits = new double[Classes];
        var predicted = new int[x.Count];
        for (int n = 0; n < x.Count; n++)
        {
            Logits(_weights, x[n], Classes, logits);
            int best = 0;
            for (int c = 1; c < Classes; c++) if (logits[c] > logits[best]) best = c;
            predicted[n] = best;
        }
        return predicted;
    }

    /// <summary>The fraction of rows whose arg-max class is the label.</summary>
    public double Accuracy(IReadOnlyList<float[]> x, IReadOnlyList<int> y)
    {
        var predicted = Predict(x);
        int correct = 0;
        for (int n = 0; n < predicted.Length; n++) if (predicted[n] == y[n]) correct++;
        return (double)correct / predicted.Length;
    }

    private static void Logits(double[] w, float[] row, int classes, double[] logits)
    {
        int stride = row.Length + 1;
        for (int c = 0; c < classes; c++)
        {
            int at = c * stride;
            double s = w[at + row.Length];
            for (int f = 0; f < row.Length; f++) s += w[at + f] * row[f];
            logits[c] = s;
        }
    }

    /// <summary>Softmax in place; returns log Σ exp(logits) (for the loss).</summary>
    private static double Softmax(double[] logits)
    {
        double max = logits.Max(), sum = 0;
        for (int c = 0; c < logits.Length; c++)
        {
            logits[c] = Math.Exp(logits[c] - max);
            sum += logits[c];
        }
        for (int c = 0; c < logits.Length; c++) logits[c] /= sum;
        return max + Math.Log(sum);
    }

    private static double Loss(double[] w, IReadOnlyList<float[]> x, IReadOnlyList<int> y, int classes, double l2)
    {
        var logits = new double[classes];
        double total = 0;
        for (int n = 0; n < x.Count; n++)
        {
            Logits(w, x[n], classes, logits);
            double label = logits[y[n]];
            total += Softmax(logits) - label;
        }
        return total / x.Count + 0.5 * l2 * PenalisedSquares(w, x[0].Length, classes);
    }

    private static void Gradient(double[] w, IReadOnlyList<float[]> x, IReadOnlyList<int> y, int classes, double l2, double[] gradient)
    {
        Array.Clear(gradient);
        int features = x[0].Length, stride = features + 1;
        var p = new double[classes];
        for (int n = 0; n < x.Count; n++)
        {
            var row = x[n];
            Logits(w, row, classes, p);
            Softmax(p);
            p[y[n]] -= 1; // ∂CE/∂logits = p − onehot
            for (int c = 0; c < classes; c++)
            {
                double d = p[c] / x.Count;
                int at = c * stride;
                for (int f = 0; f < features; f++) gradient[at + f] += d * row[f];
                gradient[at + features] += d;
            }
        }
        for (int c = 0; c < classes; c++)
        {
            for (int f = 0; f < features; f++) gradient[c * stride + f] += l2 * w[c * stride + f];
        }
    }

    private static double PenalisedSquares(double[] w, int features, int classes)
    {
        double s = 0;
        for (int c = 0; c < classes; c++)
        {
            for (int f = 0; f < features; f++) s += w[c * (features + 1) + f] * w[c * (features + 1) + f];
        }
        return s;
    }

    /// <summary>λₘₐₓ(X̃ᵀX̃/n) by power iteration, X̃ with a constant 1 column (an upper estimate after a 5% margin).</summary>
    private static double LargestEigenvalue(IReadOnlyList<float[]> x)
    {
        int d = x[0].Length + 1;
        var v = new double[d];
        Array.Fill(v, 1 / Math.Sqrt(d));
        var next = new double[d];
        double lambda = 0;
        for (int iteration = 0; iteration < 100; iteration++)
        {
            Array.Clear(next);
            foreach (var row in x)
            {
                double dot = v[d - 1];
                for (int f = 0; f < row.Length; f++) dot += row[f] * v[f];
                for (int f = 0; f < row.Length; f++) next[f] += dot * row[f];
                next[d - 1] += dot;
            }
            double norm = Math.Sqrt(next.Sum(a => a * a));
            if (norm == 0) return 1;
            for (int i = 0; i < d; i++) v[i] = next[i] / norm;
            lambda = norm / x.Count;
        }
        return 1.05 * lambda;
    }
}
