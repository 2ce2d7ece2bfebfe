using Microsoft.ML.OnnxRuntime;

namespace Bszo.Ort.Runtime;

/// <summary>
/// The data inputs of one minibatch (token ids, masks, labels, ...) as ONNX Runtime values.
/// </summary>
/// <remarks>
/// The batch owns its <see cref="OrtValue"/>s, which pin the managed arrays passed to <c>Add</c>
/// until <see cref="Dispose"/>. Every forward pass of one optimizer step must see the same batch.
/// </remarks>
public sealed class TensorBatch : IDisposable
{
    private readonly List<(string Name, OrtValue Value)> _values = [];

    /// <summary>Creates an empty batch of <paramref name="examples"/> examples.</summary>
    public TensorBatch(int examples)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(examples);
        Examples = examples;
    }

    /// <summary>Number of examples (the leading dimension of the loss output).</summary>
    public int Examples { get; }

    /// <summary>The named values.</summary>
    public IReadOnlyList<(string Name, OrtValue Value)> Values => _values;

    /// <summary>Adds an int64 tensor (pinned, not copied).</summary>
    public TensorBatch Add(string name, long[] data, params long[] shape) => Add(name, OrtValue.CreateTensorValueFromMemory(data, shape));

    /// <summary>Adds an fp32 tensor (pinned, not copied).</summary>
    public TensorBatch Add(string name, float[] data, params long[] shape) => Add(name, OrtValue.CreateTensorValueFromMemory(data, shape));

    /// <summary>Adds an int32 tensor (pinned, not copied).</summary>
    public TensorBatch Add(string name, int[] data, params long[] shape) => Add(name, OrtValue.CreateTensorValueFromMemory(data, shape));

    /// <summary>Adds a bool tensor (pinned, not copied).</summary>
    public TensorBatch Add(string name, bool[] data, params long[] shape) => Add(name, OrtValue.CreateTensorValueFromMemory(data, shape));

    /// <summary>Adds a value; the batch takes ownership.</summary>
    public TensorBatch Add(string name, OrtValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (_values.Any(v => v.Name == name))
        {
            value.Dispose();
            throw new ArgumentException($"The batch already has an input named '{name}'.", nameof(name));
        }
        _values.Add((name, value));
        return this;
    }

    /// <summary>Removes the value named <paramref name="name"/> and hands its ownership to the caller.</summary>
    public OrtValue Take(string name)
    {
        int at = _values.FindIndex(v => v.Name == name);
        if (at < 0) throw new ArgumentException($"The batch has no input named '{name}'.", nameof(name));
        var value = _values[at].Value;
        _values.RemoveAt(at);
        return value;
    }

    public void Dispose()
    {
        foreach (var (_, value) in _values) value.Dispose();
        _values.Clear();
    }
}
