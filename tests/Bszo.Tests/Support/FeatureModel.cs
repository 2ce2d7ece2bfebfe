using System.Globalization;
using System.Text;
using Bszo.Models.Adapters;

namespace Bszo.Tests.Support;

/// <summary>
/// A small real model for end-to-end runs: the MLP classifier of <see cref="TestModels.Mlp"/> with
/// a <c>feature-classifier</c> card, and CSV data of Gaussian blobs (class k centred at 2·e_k).
/// </summary>
internal static class FeatureModel
{
    public const int Features = 8, Classes = 3;

    /// <summary>The custom-task template that writes a row's features as the prompt.</summary>
    public const string Template = "{f0} {f1} {f2} {f3} {f4} {f5} {f6} {f7}";

    /// <summary>The verbalizer: label values 0..2 are the model's three classes.</summary>
    public const string Verbalizer = """{"0":" a","1":" b","2":" c"}""";

    /// <summary>Writes the model directory (mlp.onnx, mlp.data, bszo-model.json, a tokenizer-like sidecar) and returns it.</summary>
    public static string Write(string directory, int seed = 1, int hidden = 16, IReadOnlyList<string>? trainable = null)
    {
        TestModels.Mlp(directory, Features, hidden, Classes, seed);
        new ModelCard
        {
            Kind = FeatureClassifierAdapter.KindName,
            Family = "mlp",
            Description = "two-layer MLP over 8 features (test model)",
            Model = "mlp.onnx",
            Inputs = new() { ["features"] = "x" },
            Outputs = new() { ["logits"] = "logits" },
            Labels = ["a", "b", "c"],
            Trainable = trainable ?? [],
        }.Save(directory);
        File.WriteAllText(Path.Combine(directory, "feature_names.txt"), string.Join('\n', Enumerable.Range(0, Features).Select(i => $"f{i}")));
        return directory;
    }

    /// <summary>Writes <paramref name="rows"/> blob examples as CSV (f0..f7, label) and returns the path.</summary>
    public static string WriteBlobs(string path, int rows, int seed)
    {
        var rng = new Random(seed);
        var text = new StringBuilder();
        text.AppendLine(string.Join(',', Enumerable.Range(0, Features).Select(i => $"f{i}")) + ",label");
        for (int r = 0; r < rows; r++)
        {
            int label = rng.Next(Classes);
            var x = TestModels.Randn(rng, Features, 1f);
            x[label] += 2f;
            text.AppendLine(string.Join(',', x.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "," + label.ToString(CultureInfo.InvariantCulture));
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, text.ToString());
        return path;
    }

    /// <summary>`bszo finetune` arguments for the model and data, small and fast; <paramref name="extra"/> options replace the defaults of the same name.</summary>
    public static List<string> FinetuneArgs(string model, string data, string output, long steps, params string[] extra)
    {
        List<string> args =
        [
            "finetune", "--model", model, "--task", "custom", "--data", data, "--template", Template, "--verbalizer", Verbalizer,
            "--num-train", "240", "--num-dev", "60", "--num-test", "90", "--steps", steps.ToString(CultureInfo.InvariantCulture),
            "--batch-size", "16", "--optimizer", "mezo", "--learning-rate", "2e-3", "--epsilon", "1e-3", "--seed", "7", "--threads", "1", "--out", output,
        ];
        foreach (var option in extra.Where(e => e.StartsWith("--", StringComparison.Ordinal)))
        {
            int at = args.IndexOf(option);
            if (at > 0) args.RemoveRange(at, 2);
        }
        return [.. args, .. extra];
    }
}
