using System.Text.Json;
using System.Text.Json.Nodes;
using Bszo.Ort;
using Bszo.Ort.Graph;

namespace Bszo.Models.Training;

/// <summary>A complete checkpoint on disk.</summary>
/// <param name="Step">Steps completed when it was written.</param>
/// <param name="Directory">Its directory.</param>
public sealed record CheckpointInfo(long Step, string Directory)
{
    /// <summary>The weight manifest (its data file is <c>weights.bin</c> beside it).</summary>
    public WeightManifest Manifest => WeightManifest.Load(Path.Combine(Directory, WeightManifest.FileName));

    /// <summary>Path of the fp32 weights.</summary>
    public string WeightsPath => Path.Combine(Directory, "weights.bin");

    /// <summary>The trainer state.</summary>
    public TrainerState Trainer
    {
        get
        {
            var path = Path.Combine(Directory, "trainer.json");
            try
            {
                return JsonFile.ReadObject(path, DamagedHint).Deserialize<TrainerState>(TrainerState.Json)
                    ?? throw new BszoException(BszoException.Format($"'{path}' is empty.", hint: DamagedHint));
            }
            catch (JsonException e)
            {
                throw new BszoException(BszoException.Format($"'{path}' is damaged.", "the trainer state Bszo wrote", e.Message, DamagedHint), e);
            }
        }
    }

    /// <summary>The optimizer state (null for best-weight snapshots, which carry none).</summary>
    public JsonObject? Optimizer =>
        File.Exists(Path.Combine(Directory, "optimizer.json")) ? JsonFile.ReadObject(Path.Combine(Directory, "optimizer.json"), DamagedHint) : null;

    /// <summary>Directory holding the optimizer's per-element state.</summary>
    public string OptimizerTensors => Path.Combine(Directory, "optimizer");

    /// <summary>SHA-256 of the weights, as recorded in DONE.</summary>
    public string Checksum
    {
        get
        {
            var path = Path.Combine(Directory, Checkpoints.DoneMarker);
            return JsonFile.String(JsonFile.ReadObject(path, DamagedHint), "weights_sha256", path, DamagedHint)
                ?? throw new BszoException(BszoException.Format($"'{path}' records no weights checksum.", "\"weights_sha256\"", "none", DamagedHint));
        }
    }

    private const string DamagedHint = "delete this checkpoint directory; --resume then uses the one before it.";
}
