using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;

namespace Bszo.Tests.Support;

/// <summary>An exporter's reference.json: a fixed batch and the logits torch computed for it.</summary>
internal sealed record ReferenceLogits(Dictionary<string, long[][]> Inputs, long[] Shape, float[] Logits)
{
    public static ReferenceLogits Load(string directory)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "reference.json")));
        var inputs = doc.RootElement.GetProperty("inputs").EnumerateObject().ToDictionary(
            p => p.Name, p => p.Value.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray());
        var logits = doc.RootElement.GetProperty("logits");
        var shape = logits.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        var bytes = File.ReadAllBytes(Path.Combine(directory, logits.GetProperty("file").GetString()!));
        return new ReferenceLogits(inputs, shape, MemoryMarshal.Cast<byte, float>(bytes).ToArray());
    }

    public int Rows => Inputs["input_ids"].Length;

    public int Sequence => Inputs["input_ids"][0].Length;

    /// <summary>Runs the ONNX model at <paramref name="modelPath"/> on the reference inputs with plain ONNX Runtime.</summary>
    public float[] RunOnnx(string modelPath)
    {
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, IntraOpNumThreads = 1 };
        using var session = new InferenceSession(modelPath, options);
        var names = Inputs.Keys.ToArray();
        var values = names.Select(n => OrtValue.CreateTensorValueFromMemory(Inputs[n].SelectMany(r => r).ToArray(), [Rows, Sequence])).ToArray();
        try
        {
            using var run = new RunOptions();
            using var results = session.Run(run, names, values, ["logits"]);
            return results[0].GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }
}
