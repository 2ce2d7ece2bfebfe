using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Bszo.Models.Adapters;
using Bszo.Models.Training;
using Bszo.Onnx;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;
using Bszo.Tests.Support;
using Google.Protobuf;

namespace Bszo.Tests.Cli;

/// <summary>Weights stored in 16 bits are trained on fp32 masters and exported in the dtype the source stored them in.</summary>
public class LowPrecisionExportTests
{
    [TestCase(OnnxDataType.Float16)]
    [TestCase(OnnxDataType.BFloat16)]
    public void Sixteen_bit_weights_are_exported_as_the_rounded_fp32_masters(int dataType)
    {
        using var temp = new TempDirectory();
        var model = WriteModel(temp["model"], dataType);
        var data = FeatureModel.WriteBlobs(temp["data.csv"], 400, seed: 4);
        var train = CliRunner.Run([.. FeatureModel.FinetuneArgs(model, data, temp["run"], 40, "--learning-rate", "5e-2"), "--quiet", "--no-plots"]);
        Assert.That(train.ExitCode, Is.Zero, train.ToString());
        var export = CliRunner.Run(["export", "--run", temp["run"], "--out", temp["deploy"], "--weights", "final"]);
        Assert.That(export.ExitCode, Is.Zero, export.ToString());
        Assert.That(export.Output, Does.Contain("verified"));

        // The exported tensor keeps the source's dtype and holds round-to-nearest-even of the fp32 masters.
        var prepared = PreparedModel.Open(temp["run/prepared"]);
        var final = Checkpoints.Newest(temp["run/checkpoints"])!;
        using var store = WeightStore.Load(prepared);
        store.LoadFrom(final.Manifest, final.WeightsPath);
        var master = store.Master(store.IdOf("w")).ToArray();
        var expected = new ushort[master.Length];
        HalfBits.FromSingle(master, dataType, expected);

        var exported = OnnxModelFile.Load(temp["deploy/lp.onnx"]);
        var w = exported.Graph.Initializer.Single(t => t.Name == "w");
        Assert.That(w.DataType, Is.EqualTo(dataType));
        var info = InitializerData.Describe(w, temp["deploy"]);
        Assert.That(info.Length, Is.EqualTo(master.Length * 2));
        var bytes = File.ReadAllBytes(info.ExternalPath!).AsSpan((int)info.Offset, (int)info.Length);
        Assert.That(MemoryMarshal.Cast<byte, ushort>(bytes).ToArray(), Is.EqualTo(expected));
        var original = OnnxModelFile.Load(Path.Combine(model, "lp.onnx")).Graph.Initializer.Single(t => t.Name == "w");
        Assert.That(bytes.ToArray(), Is.Not.EqualTo(ReadExternal(original, model)), "training changed the weights");
    }

    /// <summary>logits = x · Cast(w → float) + b, with w stored in 16 bits (the usual fp16-storage, fp32-compute export).</summary>
    private static string WriteModel(string directory, int dataType)
    {
        Directory.CreateDirectory(directory);
        var rng = new Random(2);
        var w = TestModels.Randn(rng, FeatureModel.Features * FeatureModel.Classes, 0.3f);
        var bits = new ushort[w.Length];
        HalfBits.FromSingle(w, dataType, bits);
        var g = new GraphBuilder("lp");
        g.Input("x", OnnxDataType.Float, "batch", (long)FeatureModel.Features);
        g.Initializer("b", TestModels.Randn(rng, FeatureModel.Classes, 0.1f), FeatureModel.Classes);
        var wf = g.Node("Cast", ["w"], "w_fp32", ("to", (long)OnnxDataType.Float));
        var h = g.Node("MatMul", ["x", wf], "h");
        g.Node("Add", [h, "b"], "logits");
        g.Output("logits", OnnxDataType.Float, "batch", (long)FeatureModel.Classes);
        var raw = MemoryMarshal.AsBytes(bits.AsSpan()).ToArray();
        File.WriteAllBytes(Path.Combine(directory, "lp.data"), raw);
        var tensor = new TensorProto { Name = "w", DataType = dataType, DataLocation = TensorProto.Types.DataLocation.External };
        tensor.Dims.AddRange([FeatureModel.Features, FeatureModel.Classes]);
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "lp.data" });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = "0" });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = raw.Length.ToString(CultureInfo.InvariantCulture) });
        g.Graph.Initializer.Add(tensor);
        OnnxModelFile.Save(g.Build(), Path.Combine(directory, "lp.onnx"));
        new ModelCard
        {
            Kind = FeatureClassifierAdapter.KindName,
            Model = "lp.onnx",
            Inputs = new() { ["features"] = "x" },
            Outputs = new() { ["logits"] = "logits" },
            Labels = ["a", "b", "c"],
        }.Save(directory);
        return directory;
    }

    private static byte[] ReadExternal(TensorProto tensor, string directory)
    {
        var info = InitializerData.Describe(tensor, directory);
        return File.ReadAllBytes(info.ExternalPath!).AsSpan((int)info.Offset, (int)info.Length).ToArray();
    }
}
