using System.Text.Json.Nodes;
using Bszo.Models.Adapters;
using Bszo.Ort;
using Bszo.Ort.Graph;

namespace Bszo.Cli.Setup;

/// <summary>A model ready to train or evaluate: its card, adapter and prepared training graph.</summary>
internal sealed record ModelSetup(ModelCard Card, ModelAdapter Adapter, PreparedModel Prepared)
{
    /// <summary>
    /// Resolves the model: a prepared directory (<paramref name="prepared"/>, or a --model path that
    /// holds manifest.json), else a model directory with a card (--model, or the default model),
    /// prepared into <paramref name="preparedDirectory"/> unless an identical preparation is already there.
    /// </summary>
    /// <param name="model">--model: a model directory with a card, or a prepared directory.</param>
    /// <param name="prepared">--prepared: a prepared directory.</param>
    /// <param name="trainable">Trainable-tensor patterns (empty: the card's).</param>
    /// <param name="preparedDirectory">Where to prepare the model when needed.</param>
    /// <param name="log">Progress messages.</param>
    /// <param name="mayReplace">Whether a different preparation already in <paramref name="preparedDirectory"/> may be replaced
    /// (false when it belongs to a run being resumed: its base weights define the run).</param>
    public static ModelSetup Resolve(string? model, string? prepared, IReadOnlyList<string> trainable, string preparedDirectory, Action<string> log,
        bool mayReplace = true)
    {
        if (prepared is null && model is not null && File.Exists(Path.Combine(model, WeightManifest.FileName))) prepared = model;
        if (prepared is not null)
        {
            var p = PreparedModel.Open(prepared);
            var card = ModelCard.Load(Path.GetDirectoryName(p.Manifest.SourceModel)!);
            var adapter = ModelAdapters.Create(card);
            RequireLossHead(p, adapter);
            return new ModelSetup(card, adapter, p);
        }

        var directory = model ?? DefaultModel.Resolve(log);
        var modelCard = ModelCard.Load(directory);
        var modelAdapter = ModelAdapters.Create(modelCard);
        var source = Path.GetFullPath(modelCard.Resolve(modelCard.Model));
        var patterns = trainable.Count > 0 ? trainable : modelCard.Trainable;
        var loss = modelAdapter.CreateLossHead();
        if (File.Exists(Path.Combine(preparedDirectory, WeightManifest.FileName)))
        {
            var existing = PreparedModel.Open(preparedDirectory);
            if (existing.Manifest.SourceModel == source && JsonNode.DeepEquals(existing.Manifest.Loss, loss.Describe())
                && existing.Manifest.TrainablePatterns.SequenceEqual(patterns))
            {
                return new ModelSetup(modelCard, modelAdapter, existing);
            }
            if (!mayReplace)
            {
                throw new BszoException(BszoException.Format($"The run's training model in '{preparedDirectory}' was prepared from another model or with other settings.",
                    $"{existing.Manifest.SourceModel} (trainable: {Patterns(existing.Manifest.TrainablePatterns)})", $"{source} (trainable: {Patterns(patterns)})",
                    "resume with the --model and --trainable the run started with, or start a new run with another --out directory."));
            }
        }
        log($"preparing {source} for training");
        var preparedModel = TrainingModelBuilder.Prepare(source, preparedDirectory, new PrepareOptions { Loss = loss, Trainable = patterns });
        return new ModelSetup(modelCard, modelAdapter, preparedModel);
    }

    private static string Patterns(IReadOnlyList<string> patterns) => patterns.Count == 0 ? "all" : string.Join(" ", patterns);

    private static void RequireLossHead(PreparedModel prepared, ModelAdapter adapter)
    {
        var expected = adapter.CreateLossHead().Describe();
        if (!JsonNode.DeepEquals(prepared.Manifest.Loss, expected))
        {
            throw new BszoException(BszoException.Format($"'{prepared.Directory}' was prepared with another loss head than the {adapter.Kind} adapter uses.",
                expected.ToJsonString(), prepared.Manifest.Loss.ToJsonString(), "prepare the model again with `bszo prepare`."));
        }
    }
}
