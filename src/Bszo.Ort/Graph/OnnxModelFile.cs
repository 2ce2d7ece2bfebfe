using Bszo.Onnx;
using Google.Protobuf;

namespace Bszo.Ort.Graph;

/// <summary>Reads and writes ONNX model files. Writes are atomic: a temporary file is renamed into place.</summary>
public static class OnnxModelFile
{
    /// <summary>Parses an ONNX model. External data is not read here (see <see cref="InitializerData"/>).</summary>
    public static ModelProto Load(string path)
    {
        if (!File.Exists(path))
        {
            Throw.Bszo($"ONNX model '{path}' does not exist.", hint: "check the path; `bszo prepare` writes training.onnx into the run directory.");
        }
        try
        {
            using var stream = File.OpenRead(path);
            var input = new CodedInputStream(stream);
            var model = ModelProto.Parser.ParseFrom(input);
            if (model.Graph is null)
            {
                Throw.Bszo($"ONNX model '{path}' has no graph.", "a ModelProto with a graph", "an empty model",
                    "the file may be truncated or not an ONNX model.");
            }
            return model;
        }
        catch (InvalidProtocolBufferException e)
        {
            return Throw.Bszo<ModelProto>(e, $"'{path}' is not a valid ONNX model file.",
                "a serialized onnx.ModelProto", e.Message, "the file may be truncated, or be external data rather than the model.");
        }
    }

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> through a temporary file and a rename.</summary>
    public static void Save(ModelProto model, string path) =>
        AtomicFile.Write(path, stream =>
        {
            var output = new CodedOutputStream(stream, leaveOpen: true);
            model.WriteTo(output);
            output.Flush();
        });
}
