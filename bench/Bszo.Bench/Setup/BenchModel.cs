using System.Diagnostics;
using Bszo.Models.Adapters;
using Bszo.Models.Assets;
using Bszo.Models.UseLite;
using Bszo.Onnx;
using Bszo.Ort.Graph;

namespace Bszo.Bench.Setup;

/// <summary>A model the benchmarks run: its directory and card, and what the PyTorch reference needs to build it.</summary>
/// <param name="Name">"use-lite" (Bszo's default model) or a decoder shape such as "opt-125m".</param>
/// <param name="Card">The model card (its directory holds model.onnx and its external data).</param>
/// <param name="TorchShape">For random decoders, the configuration name tools/export knows them by.</param>
/// <param name="Vocabulary">Rows of the token embedding: random token ids are drawn below it.</param>
public sealed record BenchModel(string Name, ModelCard Card, string? TorchShape, int Vocabulary)
{
    /// <summary>The default model's name.</summary>
    public const string DefaultModel = "use-lite";

    /// <summary>Whether the model is a causal language model (scored with the next-token loss).</summary>
    public bool IsDecoder => Card.Kind == DecoderLmAdapter.KindName;

    /// <summary>The original ONNX graph (weights as ORT-owned initializers).</summary>
    public string GraphPath => Card.Resolve(Card.Model);

    /// <summary>
    /// Finds or creates the model: the default model through <see cref="UseLiteModel.Create"/>, and
    /// decoders with random weights through <c>python3 -m tools.export random-decoder</c> (written
    /// once into the Bszo cache).
    /// </summary>
    public static BenchModel Resolve(string name, string python, Action<string> log)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(log);
        if (name == DefaultModel)
        {
            var card = ModelCard.Load(UseLiteModel.Create(new UseLiteOptions { Log = log }));
            return new BenchModel(name, card, null, EmbeddingRows(card));
        }
        if (name.StartsWith("opt-", StringComparison.Ordinal))
        {
            var directory = Path.Combine(BszoHome.Sub("models"), $"random-{name}");
            if (!File.Exists(Path.Combine(directory, ModelCard.FileName))) ExportRandomDecoder(name, python, log);
            var card = ModelCard.Load(directory);
            return new BenchModel(name, card, name, EmbeddingRows(card));
        }
        return Throw.Bszo<BenchModel>($"Unknown benchmark model '{name}'.", $"{DefaultModel}, or a decoder shape: opt-tiny, opt-125m, opt-350m, opt-1.3b", name);
    }

    private static void ExportRandomDecoder(string shape, string python, Action<string> log)
    {
        log($"exporting a random decoder in the shape of {shape} (tools/export random-decoder)");
        var info = new ProcessStartInfo(python)
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-m", "tools.export", "random-decoder", "--shape", shape }) info.ArgumentList.Add(a);
        info.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        using var process = Process.Start(info) ?? Throw.Bszo<Process>($"{python} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            Throw.Bszo($"Exporting the random {shape} decoder failed (exit {process.ExitCode}).", found: (error.Result + output.Result).Trim(),
                hint: "tools/export needs Debian's python3-torch and python3-onnx (scripts/prerequisites.sh test).");
        }
    }

    /// <summary>
    /// The vocabulary: rows of the largest rank-2 initializer that a Gather reads (the token
    /// embedding table; position tables are smaller).
    /// </summary>
    private static int EmbeddingRows(ModelCard card)
    {
        var model = OnnxModelFile.Load(card.Resolve(card.Model));
        var gathered = model.Graph.Node.Where(n => n.OpType == "Gather").Select(n => n.Input[0]).ToHashSet(StringComparer.Ordinal);
        var table = model.Graph.Initializer
            .Where(t => gathered.Contains(t.Name) && t.Dims.Count == 2 && t.DataType == OnnxDataType.Float)
            .MaxBy(t => t.Dims[0] * t.Dims[1]);
        return table is null
            ? Throw.Bszo<int>($"No token embedding table found in '{card.Resolve(card.Model)}'.", "a rank-2 float initializer read by a Gather", "none")
            : checked((int)table.Dims[0]);
    }
}
