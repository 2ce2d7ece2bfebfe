using Bszo.Models.Adapters;
using Bszo.Models.Training;
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
    /// <param name="mayReplace">Whether a different preparation already in <paramref name="preparedDirectory"/> may be replaced.</param>
    public static ModelSetup Resolve(string? model, string? prepared, IReadOnlyList<string> trainable, string preparedDirectory, Action<string> log,
        bool mayReplace = true)
    {
        if (prepared is null && model is not null && File.Exists(Path.Combine(model, WeightManifest.FileName))) prepared = model;
        if (prepared is not null)
        {
            var p = PreparedModel.Open(prepared);
            if (!File.Exists(p.Manifest.SourceModel))
            {
                throw new BszoException(BszoException.Format($"The model that '{p.Directory}' was prepared from is gone.", $"'{p.Manifest.SourceModel}' (its card and tokenizer are read from there)",
                    "no such file", "put the model back where it was, or prepare it again from its new place (`bszo prepare --model DIR --out DIR`)."));
            }
            var card = ModelCard.Load(Path.GetDirectoryName(p.Manifest.SourceModel)!);
            var adapter = ModelAdapters.Create(card);
            TrainingModels.RequireLossHead(p, adapter);
            return new ModelSetup(card, adapter, p);
        }

        var modelCard = ModelCard.Load(model ?? DefaultModel.Resolve(log));
        var modelAdapter = ModelAdapters.Create(modelCard);
        return new ModelSetup(modelCard, modelAdapter, TrainingModels.PrepareOrReuse(modelCard, modelAdapter, trainable, preparedDirectory, mayReplace, log));
    }
}
