using System.Text.Json;

namespace Bszo.Tests.Support;

/// <summary>
/// The independent references in <c>tools/reference</c>, run with Debian's /usr/bin/python3 (NumPy,
/// ONNX and torch, installed by scripts/prerequisites.sh test); results are cached by their inputs.
/// </summary>
internal static class PythonReference
{
    /// <summary>WordPiece ids ([CLS] … [SEP]) and mean-pooled, L2-normalised embeddings of <paramref name="textsJson"/>, computed in float64 by the NumPy evaluator.</summary>
    public static (int[][] Ids, double[][] Embeddings) SentenceEmbeddings(string model, string vocab, string textsJson)
    {
        var tools = Path.Combine(Repository.Root, "tools", "reference");
        var output = CachedToolRun.Run("/usr/bin/python3",
            ["-m", "tools.reference", "sentence-embeddings", "--model", model, "--vocab", vocab, "--texts", textsJson, "--out"],
            Repository.Root,
            [model, vocab, textsJson, .. Directory.GetFiles(tools, "*.py")],
            "sentence-embeddings",
            new Dictionary<string, string> { ["PYTHONPATH"] = Repository.Root },
            // About 20 s of CPU (float64 over 240 sentences); far longer on a machine shared with builds.
            limit: TimeSpan.FromMinutes(15));
        using var doc = JsonDocument.Parse(File.ReadAllBytes(output));
        var ids = doc.RootElement.GetProperty("ids").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        var embeddings = doc.RootElement.GetProperty("embeddings").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        return (ids, embeddings);
    }
}
