using System.Text.Json.Nodes;

namespace Bszo.Ort.Graph;

/// <summary>How <see cref="CandidateLossHead"/> turns candidate log-likelihoods into a loss (MeZO's two protocols).</summary>
public enum CandidateProtocol
{
    /// <summary>
    /// Rows are grouped [examples, candidates]; the candidates' mean log-likelihoods are the logits of a
    /// cross-entropy against <c>labels</c>. Unused candidate slots are switched off by <c>candidate_mask</c>.
    /// </summary>
    Classification,

    /// <summary>One row per example holding the gold answer; loss = −mean log-likelihood of its tokens.</summary>
    Generation,
}

/// <summary>
/// The loss of a causal language model scored on candidate answers, computed inside the graph from
/// the model's <c>logits</c> [rows, seq, vocab]. Only the per-example loss leaves a training run.
/// </summary>
/// <remarks>
/// <para>Added inputs: <c>target_ids</c> [rows, seq] int64 and <c>target_mask</c> [rows, seq] float,
/// already shifted for next-token prediction: position t holds the token at t + 1 and a 1 where that
/// token belongs to the candidate answer. A row's score is the mean over its masked positions of
/// log softmax(logits[t])[target t], computed as logit − logsumexp so that no [rows, seq, vocab]
/// log-probability tensor is materialised beside the logits; by default the logits themselves are
/// computed only at the masked positions (<see cref="ScoredPositionsOnly"/>).</para>
/// <para>The classification protocol adds <c>candidate_mask</c> [examples, candidates] float and
/// <c>labels</c> [examples] int64. Both protocols also expose the per-row scores as the output
/// <see cref="ScoreOutput"/>, which prediction reads (the best candidate has the highest score).</para>
/// </remarks>
public sealed class CandidateLossHead : LossHead
{
    internal const string KindName = "candidates";

    /// <summary>Per-row mean log-likelihood of the candidate tokens, [rows].</summary>
    public const string ScoreOutput = "candidate_log_likelihood";

    /// <summary>Added to the score of a switched-off candidate slot; finite so an all-masked row stays finite.</summary>
    private const float MaskedScore = -1e9f;

    private CandidateLossHead(string logits, CandidateProtocol protocol, bool scoredPositionsOnly)
    {
        Logits = logits;
        Protocol = protocol;
        ScoredPositionsOnly = scoredPositionsOnly;
    }

    /// <summary>The model output holding the next-token logits [rows, seq, vocab].</summary>
    public string Logits { get; }

    /// <summary>Classification over candidates, or the gold answer's likelihood alone.</summary>
    public CandidateProtocol Protocol { get; }

    /// <summary>
    /// Whether the LM head runs only on the positions the loss reads (<see cref="ScoredPositionsHead"/>),
    /// so that training computes no [rows, seq, vocab] logits; the graph then has no logits output.
    /// Heads of another form keep the full logits either way.
    /// </summary>
    /// <remarks>
    /// Not part of <see cref="Describe"/>: both forms compute the same loss, so a directory prepared
    /// either way serves the same runs (and a run resumes on the graph it started with).
    /// </remarks>
    public bool ScoredPositionsOnly { get; }

    public const string TargetIds = "target_ids";
    public const string TargetMask = "target_mask";
    public const string CandidateMask = "candidate_mask";
    public const string Labels = "labels";

    public override string Kind => KindName;

    public override IReadOnlyList<string> AddedInputs =>
        Protocol == CandidateProtocol.Classification ? [TargetIds, TargetMask, CandidateMask, Labels] : [TargetIds, TargetMask];

    /// <summary>Creates the head for the output <paramref name="logits"/>.</summary>
    /// <param name="logits">The model output holding the next-token logits.</param>
    /// <param name="protocol">Classification over candidates, or the gold answer alone.</param>
    /// <param name="scoredPositionsOnly">Run the LM head only where the loss reads it (see <see cref="ScoredPositionsOnly"/>).</param>
    public static CandidateLossHead Create(string logits = "logits", CandidateProtocol protocol = CandidateProtocol.Classification, bool scoredPositionsOnly = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(logits);
        return new CandidateLossHead(logits, protocol, scoredPositionsOnly);
    }

    public override void Attach(GraphBuilder graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var logits = RequireOutput(graph.Graph, Logits);
        int rank = logits.Type?.TensorType?.Shape?.Dim.Count ?? 3;
        if (rank != 3)
        {
            Throw.Bszo($"Output '{Logits}' cannot be scored as next-token logits.", "rank 3: [rows, sequence, vocabulary]", $"rank {rank}",
                "candidate scoring needs a causal language model's logits; classifiers use the classification head.");
        }
        graph.Input(TargetIds, OnnxDataType.Int64, "rows", "sequence");
        graph.Input(TargetMask, OnnxDataType.Float, "rows", "sequence");

        // log p(target) = logit[target] − logsumexp(logits), per position: [rows, seq]. Computed from
        // the scored positions' logits alone where the LM head can be rewritten, else from all of them.
        var logProb = (ScoredPositionsOnly ? ScoredPositionsHead.Attach(graph, Logits, TargetIds, TargetMask) : null)
            ?? LogProbFromAllLogits(graph, Logits, logits.Type?.TensorType?.ElemType ?? OnnxDataType.Float);

        // Mean over the candidate's positions: [rows]. Rows without candidate tokens score 0.
        var masked = graph.Node("Mul", [logProb, TargetMask], "candidate_log_prob");
        var seqAxis = graph.Constant("axis_seq", 1L);
        var total = graph.Node("ReduceSum", [masked, seqAxis], "candidate_log_prob_sum", ("keepdims", 0));
        var count = graph.Node("ReduceSum", [TargetMask, seqAxis], "candidate_tokens", ("keepdims", 0));
        count = graph.Node("Max", [count, graph.Constant("one", 1f)], "candidate_tokens_at_least_1");
        var score = graph.Node("Div", [total, count], "mean_log_likelihood");
        ClassificationLossHead.RenameOutput(graph, score, ScoreOutput);
        graph.Output(ScoreOutput, OnnxDataType.Float, "rows");

        string loss = Protocol == CandidateProtocol.Classification ? AttachClassification(graph) : graph.Node("Neg", [ScoreOutput], "loss_value");
        ClassificationLossHead.RenameOutput(graph, loss, LossOutput);
        graph.Output(LossOutput, OnnxDataType.Float, "batch");
    }

    /// <summary>log p(target) at every position from the full [rows, seq, vocab] logits: [rows, seq].</summary>
    private static string LogProbFromAllLogits(GraphBuilder graph, string logits, int elementType)
    {
        string x = logits;
        if (elementType != OnnxDataType.Float) x = graph.Node("Cast", [x], "logits_fp32", ("to", OnnxDataType.Float));
        return TargetLogProb(graph, x, TargetIds, "target");
    }

    /// <summary>
    /// log softmax(<paramref name="logits"/>)[target] along the last axis, as logit[target] − logsumexp(logits),
    /// for fp32 logits [..., vocab] and int64 <paramref name="targets"/> [...]: a tensor of shape [...].
    /// </summary>
    /// <remarks>
    /// One ReduceLogSumExp, which reads the logits without writing a tensor of their size. Written as
    /// max + log Σ exp(x − max) with ReduceMax, Sub, Exp and ReduceSum it took about a third less time
    /// (OPT-125m, 16 × 128 tokens, every position scored) but raised the peak by 834 MiB: ONNX Runtime
    /// kept the shifted logits and their exponentials as two more [rows, seq, vocab] tensors.
    /// </remarks>
    internal static string TargetLogProb(GraphBuilder graph, string logits, string targets, string prefix)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var lastAxis = graph.Constant("axis_last", -1L);
        var index = graph.Node("Unsqueeze", [targets, lastAxis], $"{prefix}_index");
        var picked = graph.Node("GatherElements", [logits, index], $"{prefix}_logit", ("axis", -1));
        picked = graph.Node("Squeeze", [picked, lastAxis], $"{prefix}_logit_squeezed");
        var normalizer = graph.Node("ReduceLogSumExp", [logits], $"{prefix}_log_partition", ("axes", new long[] { -1 }), ("keepdims", 0));
        return graph.Node("Sub", [picked, normalizer], $"{prefix}_log_prob");
    }

    /// <summary>Cross-entropy over each example's candidates: [examples].</summary>
    private static string AttachClassification(GraphBuilder graph)
    {
        graph.Input(CandidateMask, OnnxDataType.Float, "batch", "candidates");
        graph.Input(Labels, OnnxDataType.Int64, "batch");
        var shape = graph.Node("Shape", [CandidateMask], "candidate_grid_shape");
        var grid = graph.Node("Reshape", [ScoreOutput, shape], "candidate_scores");
        // score + (1 − mask)·(−1e9): switched-off slots get no probability.
        var off = graph.Node("Sub", [graph.Constant("one_f", 1f), CandidateMask], "candidate_off");
        var penalty = graph.Node("Mul", [off, graph.Constant("masked_score", MaskedScore)], "candidate_penalty");
        var logits = graph.Node("Add", [grid, penalty], "candidate_logits");
        var logProbs = graph.Node("LogSoftmax", [logits], "candidate_log_probs", ("axis", 1));
        var axis1 = graph.Constant("axis_1", 1L);
        var label = graph.Node("Unsqueeze", [Labels, axis1], "label_index");
        var picked = graph.Node("GatherElements", [logProbs, label], "label_log_prob", ("axis", 1));
        picked = graph.Node("Squeeze", [picked, axis1], "label_log_prob_1d");
        return graph.Node("Neg", [picked], "loss_value");
    }

    public override JsonObject Describe() => new()
    {
        ["kind"] = KindName,
        ["logits"] = Logits,
        ["protocol"] = Protocol == CandidateProtocol.Classification ? "classification" : "generation",
    };

    /// <summary>Recreates the head from <see cref="Describe"/>'s output.</summary>
    internal static CandidateLossHead FromJson(JsonObject description)
    {
        var protocol = (string?)description["protocol"] ?? "classification";
        return protocol switch
        {
            "classification" => Create((string?)description["logits"] ?? "logits", CandidateProtocol.Classification),
            "generation" => Create((string?)description["logits"] ?? "logits", CandidateProtocol.Generation),
            _ => Throw.Bszo<CandidateLossHead>($"Unknown candidate protocol '{protocol}' in the manifest.", "classification or generation", protocol,
                "prepare the model again."),
        };
    }
}
