namespace Bszo.Ort.Graph;

/// <summary>
/// The score <see cref="CandidateLossHead"/> defines, computed from a model's logits on the host in
/// double: per row, the mean over its target positions of log softmax(logits)[target]. Graphs that
/// compute it (the scored-positions head, an exported model's logits) are checked against this.
/// </summary>
public static class CandidateScoreReference
{
    /// <summary>
    /// Per-row scores from <paramref name="logits"/> [rows, seq, vocab] (row-major, <paramref name="shape"/>),
    /// <paramref name="targetIds"/> and <paramref name="targetMask"/> [rows, seq]; 0 for a row with no target positions.
    /// </summary>
    public static double[] FromLogits(ReadOnlySpan<float> logits, ReadOnlySpan<long> shape, ReadOnlySpan<long> targetIds, ReadOnlySpan<float> targetMask)
    {
        if (shape.Length != 3) throw new ArgumentException($"Logits must be [rows, seq, vocab]; got rank {shape.Length}.", nameof(shape));
        int rows = checked((int)shape[0]), seq = checked((int)shape[1]), vocab = checked((int)shape[2]);
        var scores = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            int count = 0;
            for (int t = 0; t < seq; t++)
            {
                if (targetMask[r * seq + t] == 0) continue;
                var row = logits.Slice((r * seq + t) * vocab, vocab);
                double max = double.NegativeInfinity, total = 0;
                foreach (var v in row) max = Math.Max(max, v);
                foreach (var v in row) total += Math.Exp(v - max);
                sum += row[(int)targetIds[r * seq + t]] - max - Math.Log(total);
                count++;
            }
            scores[r] = count == 0 ? 0 : sum / count;
        }
        return scores;
    }
}
