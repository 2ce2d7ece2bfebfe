using Bszo.Onnx;
using Bszo.Ort.Graph;

namespace Bszo.Bench.Probes;

/// <summary>Counts a model's weights the way <c>bszo prepare</c> selects them by default: float initializers of two or more elements.</summary>
public static class ParameterCount
{
    public static long Of(string modelPath)
    {
        var model = OnnxModelFile.Load(modelPath);
        return model.Graph.Initializer
            .Where(t => OnnxDataType.IsTrainable(t.DataType))
            .Select(t => t.Dims.Aggregate(1L, (a, b) => a * b))
            .Where(n => n >= 2)
            .Sum();
    }
}
