using System.Text.Json.Nodes;

namespace Bszo.Ort.Graph;

/// <summary>
/// Mean squared error of an output [batch, ...] against a <c>target</c> input of the same shape:
/// loss[b] = the mean over example b's values of (output − target)².
/// </summary>
public sealed class MeanSquaredErrorLossHead : LossHead
{
    internal const string KindName = "mean-squared-error";

    private MeanSquaredErrorLossHead(string output, string targets)
    {
        Output = output;
        Targets = targets;
    }

    /// <summary>The model output compared with the targets.</summary>
    public string Output { get; }

    /// <summary>The name of the targets input the head adds (fp32, shaped like the output).</summary>
    public string Targets { get; }

    public override string Kind => KindName;

    public override IReadOnlyList<string> AddedInputs => [Targets];

    /// <summary>Creates the head for the output <paramref name="output"/>.</summary>
    public static MeanSquaredErrorLossHead Create(string output, string targets = "target")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(output);
        ArgumentException.ThrowIfNullOrWhiteSpace(targets);
        return new MeanSquaredErrorLossHead(output, targets);
    }

    public override void Attach(GraphBuilder graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var output = RequireOutput(graph.Graph, Output);
        var elem = output.Type?.TensorType?.ElemType ?? OnnxDataType.Float;
        var dims = output.Type?.TensorType?.Shape?.Dim.Select(d => d.HasDimValue ? (object)d.DimValue : d.DimParam is { Length: > 0 } p ? p : "batch").ToArray() ?? ["batch"];
        string x = Output;
        if (elem != OnnxDataType.Float) x = graph.Node("Cast", [x], "output_fp32", ("to", (long)OnnxDataType.Float));
        graph.Input(Targets, OnnxDataType.Float, dims);
        var difference = graph.Node("Sub", [x, Targets], "error");
        var squares = graph.Node("Mul", [difference, difference], "squared_error");
        // [batch, values]; the mean divides by the row length, read from the shape at run time.
        var rows = graph.Node("Reshape", [squares, graph.Constant("rows_shape", 0L, -1L)], "squared_error_rows");
        var sum = graph.Node("ReduceSum", [rows, graph.Constant("value_axis", 1L)], "squared_error_sum", ("keepdims", 0L));
        var width = graph.Node("Gather", [graph.Node("Shape", [rows], "rows_dims"), graph.Scalar("width_axis", 1)], "row_length");
        var node = graph.Node("Div", [sum, graph.Node("Cast", [width], "row_length_fp32", ("to", (long)OnnxDataType.Float))], "loss_value");
        ClassificationLossHead.RenameOutput(graph, node, LossOutput);
        graph.Output(LossOutput, OnnxDataType.Float, "batch");
    }

    public override JsonObject Describe() => new() { ["kind"] = KindName, ["output"] = Output, ["targets"] = Targets };
}
