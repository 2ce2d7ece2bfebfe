using System.Text.Json.Nodes;
using Bszo.Onnx;

namespace Bszo.Ort.Graph;

/// <summary>
/// Nodes appended to a model so that the training graph computes the loss of every example itself:
/// only B floats leave each forward pass, never the logits.
/// </summary>
/// <remarks>Every head produces the fp32 output <see cref="LossOutput"/> of shape [batch].</remarks>
public abstract class LossHead
{
    /// <summary>The name of the per-example loss output of every training graph.</summary>
    public const string LossOutput = "loss";

    /// <summary>A short identifier stored in the manifest.</summary>
    public abstract string Kind { get; }

    /// <summary>Inputs the head adds to the graph (fed with every batch, e.g. labels).</summary>
    public abstract IReadOnlyList<string> AddedInputs { get; }

    /// <summary>Appends the loss nodes to <paramref name="graph"/>.</summary>
    public abstract void Attach(GraphBuilder graph);

    /// <summary>A JSON description for the manifest.</summary>
    public abstract JsonObject Describe();

    /// <summary>Recreates a head from its manifest description.</summary>
    public static LossHead FromDescription(JsonObject description)
    {
        ArgumentNullException.ThrowIfNull(description);
        var kind = (string?)description["kind"];
        return kind switch
        {
            ClassificationLossHead.KindName => ClassificationLossHead.Create((string)description["logits"]!, (string?)description["labels"] ?? "labels"),
            OutputLossHead.KindName => OutputLossHead.Create((string)description["output"]!),
            CandidateLossHead.KindName => CandidateLossHead.FromJson(description),
            MeanSquaredErrorLossHead.KindName => MeanSquaredErrorLossHead.Create((string)description["output"]!, (string?)description["targets"] ?? "target"),
            _ => Throw.Bszo<LossHead>($"Unknown loss head '{kind}' in the manifest.",
                $"one of {ClassificationLossHead.KindName}, {OutputLossHead.KindName}, {CandidateLossHead.KindName}, {MeanSquaredErrorLossHead.KindName}", kind ?? "none",
                "the run was prepared by a newer Bszo; prepare it again."),
        };
    }

    /// <summary>Finds a graph output by name, with a helpful error listing the outputs that exist.</summary>
    protected static ValueInfoProto RequireOutput(GraphProto graph, string name)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var output = graph.Output.FirstOrDefault(o => o.Name == name);
        if (output is null)
        {
            Throw.Bszo($"The model has no output named '{name}'.",
                $"an output '{name}'", string.Join(", ", graph.Output.Select(o => o.Name)),
                "name the output that holds the logits (or the per-example loss) explicitly.");
        }
        return output;
    }
}

/// <summary>
/// Cross-entropy of class logits [batch, classes] against an int64 <c>labels</c> input [batch]:
/// loss = −log softmax(logits)[label].
/// </summary>
public sealed class ClassificationLossHead : LossHead
{
    internal const string KindName = "classification";

    private ClassificationLossHead(string logits, string labels)
    {
        Logits = logits;
        Labels = labels;
    }

    /// <summary>The model output holding the logits.</summary>
    public string Logits { get; }

    /// <summary>The name of the labels input the head adds.</summary>
    public string Labels { get; }

    public override string Kind => KindName;

    public override IReadOnlyList<string> AddedInputs => [Labels];

    /// <summary>Creates the head for the output <paramref name="logits"/>.</summary>
    public static ClassificationLossHead Create(string logits, string labels = "labels")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(logits);
        ArgumentException.ThrowIfNullOrWhiteSpace(labels);
        return new ClassificationLossHead(logits, labels);
    }

    public override void Attach(GraphBuilder graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var logits = RequireOutput(graph.Graph, Logits);
        var elem = logits.Type?.TensorType?.ElemType ?? OnnxDataType.Float;
        int rank = logits.Type?.TensorType?.Shape?.Dim.Count ?? 2;
        if (rank != 2)
        {
            Throw.Bszo($"Output '{Logits}' cannot be used as class logits.", "rank 2: [batch, classes]", $"rank {rank}",
                "add a head that produces [batch, classes] logits, or choose another output.");
        }
        string x = Logits;
        if (elem != OnnxDataType.Float) x = graph.Node("Cast", [x], "logits_fp32", ("to", OnnxDataType.Float));
        graph.Input(Labels, OnnxDataType.Int64, "batch");
        var logProbs = graph.Node("LogSoftmax", [x], "log_probs", ("axis", -1));
        var axis1 = graph.Constant("axis_1", 1L);
        var index = graph.Node("Unsqueeze", [Labels, axis1], "label_index");
        var picked = graph.Node("GatherElements", [logProbs, index], "label_log_prob", ("axis", 1));
        var squeezed = graph.Node("Squeeze", [picked, axis1], "label_log_prob_1d");
        var node = graph.Node("Neg", [squeezed], "loss_value");
        RenameOutput(graph, node, LossOutput);
        graph.Output(LossOutput, OnnxDataType.Float, "batch");
    }

    public override JsonObject Describe() => new() { ["kind"] = KindName, ["logits"] = Logits, ["labels"] = Labels };

    internal static void RenameOutput(GraphBuilder graph, string from, string to)
    {
        var last = graph.Graph.Node.Last(n => n.Output.Contains(from));
        last.Output[last.Output.IndexOf(from)] = to;
    }
}

/// <summary>For models whose output already is the per-example loss [batch] (or [batch, 1]).</summary>
public sealed class OutputLossHead : LossHead
{
    internal const string KindName = "output";

    private OutputLossHead(string output) => Output = output;

    /// <summary>The model output holding the per-example loss.</summary>
    public string Output { get; }

    public override string Kind => KindName;

    public override IReadOnlyList<string> AddedInputs => [];

    /// <summary>Creates the head for the output <paramref name="output"/>.</summary>
    public static OutputLossHead Create(string output)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(output);
        return new OutputLossHead(output);
    }

    public override void Attach(GraphBuilder graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var output = RequireOutput(graph.Graph, Output);
        var elem = output.Type?.TensorType?.ElemType ?? OnnxDataType.Float;
        string x = Output;
        if (Output == LossOutput)
        {
            // The model already calls its output "loss": give that value another name so the
            // head's [batch] output can take the standard one.
            x = graph.Fresh("model_loss");
            GraphSurgery.RenameValue(graph.Graph, Output, x);
        }
        if (elem != OnnxDataType.Float) x = graph.Node("Cast", [x], "loss_fp32", ("to", OnnxDataType.Float));
        var shape = graph.Constant("loss_shape", -1L);
        var node = graph.Node("Reshape", [x, shape], "loss_value");
        ClassificationLossHead.RenameOutput(graph, node, LossOutput);
        graph.Output(LossOutput, OnnxDataType.Float, "batch");
    }

    public override JsonObject Describe() => new() { ["kind"] = KindName, ["output"] = Output };
}
