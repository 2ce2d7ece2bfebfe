using System.Runtime.InteropServices;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;
using Bszo.Tests.Support;

namespace Bszo.Tests.Device;

/// <summary>Helpers shared by the tests that run the device path on the CPU provider and on CUDA.</summary>
internal static class DeviceFixtures
{
    /// <summary>Skips the calling test, with the reason, when <paramref name="device"/> is a GPU this machine and build cannot use.</summary>
    public static void Require(string device)
    {
        if (ExecutionDevice.Parse(device).Kind == "cuda" && !ExecutionDevice.IsCudaAvailable) Assert.Ignore($"CUDA: {ExecutionDevice.CudaUnavailableReason}");
    }

    /// <summary>
    /// A host store with an fp32 matrix, an fp16 vector, a bf16 3-D tensor and a small fp32 bias,
    /// sizes chosen so that no tensor is a whole number of noise groups.
    /// </summary>
    public static WeightStore MixedStore(TempDirectory temp, int seed)
    {
        (string Name, int Storage, long[] Shape)[] specs =
        [
            ("dense", OnnxDataType.Float, [37, 29]),
            ("half", OnnxDataType.Float16, [1000]),
            ("brain", OnnxDataType.BFloat16, [3, 5, 7]),
            ("bias", OnnxDataType.Float, [5]),
        ];
        var rng = new Random(seed);
        var path = temp[$"mixed{seed}.bin"];
        var entries = new List<WeightEntry>();
        using (var file = File.Create(path))
        {
            foreach (var (name, storage, shape) in specs)
            {
                while (file.Position % TrainingModelBuilder.Alignment != 0) file.WriteByte(0);
                var entry = new WeightEntry(name, entries.Count, storage, OnnxDataType.Float, shape, file.Position);
                file.Write(MemoryMarshal.AsBytes(TestModels.Randn(rng, (int)entry.ElementCount, 0.5f).AsSpan()));
                entries.Add(entry);
            }
        }
        return WeightStore.Load(new WeightManifest { Tensors = entries, Data = Path.GetFileName(path) }, path);
    }
}
