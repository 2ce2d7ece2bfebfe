using System.Text.Json;
using System.Text.Json.Nodes;
using Bszo.Models.Adapters;
using Bszo.Ort;
using Bszo.Ort.Graph;

namespace Bszo.Models.Training;

/// <summary>Prepares a model's training graph for its adapter's loss head, or reuses an identical earlier preparation.</summary>
public static class TrainingModels
{
    /// <summary>
    /// The training model of <paramref name="card"/> in <paramref name="directory"/>: reused when it was
    /// prepared from the same source with the same loss head and trainable selection, else prepared
    /// with <see cref="TrainingModelBuilder.Prepare"/> and <paramref name="adapter"/>'s loss head.
    /// </summary>
    /// <param name="card">The model's card.</param>
    /// <param name="adapter">The adapter for the card.</param>
    /// <param name="selection">What to train (nothing chosen: the card's list).</param>
    /// <param name="directory">Where the training model lives.</param>
    /// <param name="mayReplace">Whether a different preparation found there may be replaced (false when it belongs to a
    /// run being resumed: its base weights define the run).</param>
    /// <param name="log">Progress messages.</param>
    public static PreparedModel PrepareOrReuse(ModelCard card, ModelAdapter adapter, TrainableSelection selection, string directory, bool mayReplace,
        Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(card);
        ArgumentNullException.ThrowIfNull(adapter);
        ArgumentNullException.ThrowIfNull(selection);
        var source = Path.GetFullPath(card.Resolve(card.Model));
        var options = selection.ToPrepareOptions(adapter.CreateLossHead(), card.Trainable);
        if (File.Exists(Path.Combine(directory, WeightManifest.FileName)))
        {
            var existing = PreparedModel.Open(directory);
            if (existing.Manifest.SourceModel == source && JsonNode.DeepEquals(existing.Manifest.Loss, options.Loss.Describe())
                && existing.Manifest.TrainablePatterns.SequenceEqual(options.Trainable) && existing.Manifest.TrainTopLayers == options.TrainTopLayers
                && JsonSerializer.Serialize(existing.Manifest.LoraSettings) == JsonSerializer.Serialize(options.Lora))
            {
                return existing;
            }
            if (!mayReplace)
            {
                Throw.Bszo($"The run's training model in '{directory}' was prepared from another model or with other settings.",
                    $"{existing.Manifest.SourceModel} (trainable: {Describe(existing.Manifest)})", $"{source} (trainable: {selection.Describe()})",
                    "resume with the --model, --trainable, --train-top-layers and --lora the run started with, or start a new run with another --out directory.");
            }
        }
        bool verified = FileChecksums.Verify(card.Directory, DamagedModelHint);
        log?.Invoke($"preparing {source} for training ({selection.Describe()}){(verified ? "; its files match the checksums Bszo wrote with them" : "")}");
        return TrainingModelBuilder.Prepare(source, directory, options);
    }

    /// <summary>The hint for a model directory whose files differ from the checksums Bszo wrote with them.</summary>
    public const string DamagedModelHint =
        "the files changed after Bszo wrote them (a converted or exported model): export it again, or copy it again from where it came from; "
        + "a converted default model is converted anew on next use once its directory under the Bszo cache is deleted.";

    /// <summary>Checks that <paramref name="prepared"/> computes the loss the way <paramref name="adapter"/> collates for.</summary>
    public static void RequireLossHead(PreparedModel prepared, ModelAdapter adapter)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        ArgumentNullException.ThrowIfNull(adapter);
        var expected = adapter.CreateLossHead().Describe();
        if (!JsonNode.DeepEquals(prepared.Manifest.Loss, expected))
        {
            Throw.Bszo($"'{prepared.Directory}' was prepared with another loss head than the {adapter.Kind} adapter uses.",
                expected.ToJsonString(), prepared.Manifest.Loss.ToJsonString(), "prepare the model again with `bszo prepare`.");
        }
    }

    private static string Describe(WeightManifest manifest) => new TrainableSelection
    {
        Patterns = manifest.TrainablePatterns,
        TopLayers = manifest.TrainTopLayers,
        Lora = manifest.LoraSettings,
    }.Describe();
}
