using System.Runtime.InteropServices;
using Bszo.Models.Adapters;
using Bszo.Onnx;
using Bszo.Ort.Graph;
using Google.Protobuf;

namespace Bszo.Bench.Setup;

/// <summary>
/// A copy of a model directory in which chosen fp32 initializers are stored in fp16 or bf16 and cast
/// to fp32 where the graph reads them: the usual 16-bit-storage, fp32-compute export, for the
/// reduced-precision arm of the accuracy benchmark. Bszo trains such tensors on fp32 masters and
/// rewrites the 16-bit copy the graph reads on every sweep, so perturbations smaller than half a
/// 16-bit step are rounded away while updates still accumulate.
/// </summary>
public static class SixteenBitModel
{
    /// <summary>
    /// Writes the copy into <paramref name="destination"/> (replacing an earlier copy) and returns it;
    /// <paramref name="tensors"/> are globs of the initializers to store in <paramref name="dataType"/>
    /// (empty: the card's trainable tensors).
    /// </summary>
    public static string Write(string source, string destination, int dataType, IReadOnlyList<string> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (dataType is not (OnnxDataType.Float16 or OnnxDataType.BFloat16))
        {
            Throw.Bszo("A 16-bit model copy needs a 16-bit type.", "float16 or bfloat16", OnnxDataType.Name(dataType));
        }
        var card = ModelCard.Load(source);
        if (tensors.Count == 0) tensors = card.Trainable;
        if (Directory.Exists(destination)) Directory.Delete(destination, recursive: true);
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.GetFiles(card.Directory))
        {
            // The source's checksums describe its own model file, not this copy's: the copy records its own below.
            if (Path.GetFileName(file) is not (ModelCard.FileName or FileChecksums.FileName)) File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
        }

        var model = OnnxModelFile.Load(card.Resolve(card.Model));
        var graph = model.Graph;
        var glob = NameGlob.Create(tensors);
        var converted = new List<string>();
        for (int i = 0; i < graph.Initializer.Count; i++)
        {
            var tensor = graph.Initializer[i];
            if (tensor.DataType != OnnxDataType.Float || !glob.Matches(tensor.Name)) continue;
            var info = InitializerData.Describe(tensor, card.Directory);
            var values = new float[info.ElementCount];
            InitializerData.ReadAsFloat(tensor, info, values);
            var bits = new ushort[values.Length];
            HalfBits.FromSingle(values, dataType, bits);
            var stored = new TensorProto { Name = tensor.Name, DataType = dataType, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(bits.AsSpan())) };
            stored.Dims.AddRange(tensor.Dims);
            graph.Initializer[i] = stored;
            converted.Add(tensor.Name);
        }
        if (converted.Count == 0)
        {
            Throw.Bszo($"No fp32 initializer of '{card.Resolve(card.Model)}' matches {string.Join(" ", tensors)}.", "at least one", "none",
                "`bszo prepare --list` shows the model's tensors.");
        }
        // Readers see an fp32 value computed by a Cast placed before every other node.
        foreach (var name in converted)
        {
            string cast = name + "_fp32";
            foreach (var node in graph.Node)
            {
                for (int i = 0; i < node.Input.Count; i++) if (node.Input[i] == name) node.Input[i] = cast;
            }
            var castNode = new NodeProto { OpType = "Cast", Name = "cast_" + name };
            castNode.Input.Add(name);
            castNode.Output.Add(cast);
            castNode.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = OnnxDataType.Float });
            graph.Node.Insert(0, castNode);
        }
        OnnxModelFile.Save(model, Path.Combine(destination, card.Model));
        FileChecksums.Write(destination, Directory.GetFiles(destination).Select(Path.GetFileName).OfType<string>().Where(n => n != FileChecksums.FileName));
        (card with { Description = $"{card.Description} Stored here with {string.Join(", ", converted)} in {OnnxDataType.Name(dataType)}." }).Save(destination);
        return destination;
    }
}
