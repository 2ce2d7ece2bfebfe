using System.Text.Json.Nodes;

namespace Bszo.Tests.Support;

/// <summary>One input of <see cref="IndependentRuntime.Run"/>: "float32", "int64", "int32" or "bool" values with their dimensions.</summary>
internal sealed record NodeTensor(string Type, long[] Dims, double[] Data);

/// <summary>
/// Runs an ONNX model in onnxruntime-node (tools/node/run-onnx.js): the npm build of ONNX Runtime,
/// a consumer independent of the .NET one Bszo trains with, as a deployment would load an export.
/// </summary>
internal static class IndependentRuntime
{
    /// <summary>Every output of <paramref name="model"/> for <paramref name="inputs"/>: its dimensions and values.</summary>
    public static Dictionary<string, (long[] Dims, double[] Data)> Run(string model, IReadOnlyDictionary<string, NodeTensor> inputs)
    {
        Assert.That(Directory.Exists(Path.Combine(Repository.NodeTools, "node_modules", "onnxruntime-node")),
            "onnxruntime-node is missing: run scripts/prerequisites.sh test (npm install --ignore-scripts in tools/node)");
        using var temp = new TempDirectory();
        var spec = new JsonObject();
        foreach (var (name, t) in inputs)
        {
            spec[name] = new JsonObject
            {
                ["type"] = t.Type,
                ["dims"] = new JsonArray(t.Dims.Select(d => (JsonNode)JsonValue.Create(d)).ToArray()),
                ["data"] = new JsonArray(t.Data.Select(v => (JsonNode)JsonValue.Create(v)).ToArray()),
            };
        }
        File.WriteAllText(temp["inputs.json"], spec.ToJsonString());
        var (exit, stdout, stderr) = ChildProcess.Run("node", [Path.Combine(Repository.NodeTools, "run-onnx.js"), model, temp["inputs.json"]], TimeSpan.FromSeconds(120));
        Assert.That(exit, Is.Zero, stderr);
        return JsonNode.Parse(stdout)!.AsObject().ToDictionary(
            o => o.Key,
            o => (o.Value!["dims"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray(), o.Value["data"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray()));
    }
}
