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
    /// holds manifest.json) with the card it was prepared from, else the model <paramref name="request"/>
    /// names (see <see cref="ModelResolver"/>), prepared into <paramref name="preparedDirectory"/> unless
    /// an identical preparation is already there; the card goes beside the preparation.
    /// </summary>
    /// <param name="request">--model and the options that shape it.</param>
    /// <param name="prepared">--prepared: a prepared directory.</param>
    /// <param name="selection">What to train (nothing chosen: the card's tensors).</param>
    /// <param name="preparedDirectory">Where to prepare the model when needed.</param>
    /// <param name="log">Progress messages.</param>
    /// <param name="mayReplace">Whether a different preparation already in <paramref name="preparedDirectory"/> may be replaced.</param>
    public static ModelSetup Resolve(ModelRequest request, string? prepared, TrainableSelection selection, string preparedDirectory, Action<string> log,
        bool mayReplace = true)
    {
        if (prepared is null && request.Model is { } model && !ModelResolver.IsName(model) && File.Exists(Path.Combine(model, WeightManifest.FileName))) prepared = model;
        if (prepared is not null)
        {
            if (!selection.IsCardDefault)
            {
                Throw.Bszo($"--trainable, --train-top-layers and --lora choose what `bszo prepare` makes trainable; '{prepared}' is already prepared.",
                    "these options with --model", $"{selection.Describe()} with a prepared directory",
                    "pass them to `bszo prepare`, or give --model instead of --prepared.");
            }
            var p = PreparedModel.Open(prepared);
            if (!File.Exists(p.Manifest.SourceModel))
            {
                Throw.Bszo($"The model that '{p.Directory}' was prepared from is gone.", $"'{p.Manifest.SourceModel}' (its card and tokenizer are read from there)",
                    "no such file", "put the model back where it was, or prepare it again from its new place (`bszo prepare --model DIR --out DIR`).");
            }
            var card = ModelCard.LoadResolved(p.Directory) ?? ModelCard.Load(Path.GetDirectoryName(p.Manifest.SourceModel)!);
            var adapter = ModelAdapters.Create(card);
            TrainingModels.RequireLossHead(p, adapter);
            return new ModelSetup(card, adapter, p);
        }

        var modelCard = ModelResolver.Resolve(request with { Log = log });
        var modelAdapter = ModelAdapters.Create(modelCard);
        var preparedModel = TrainingModels.PrepareOrReuse(modelCard, modelAdapter, selection, preparedDirectory, mayReplace, log);
        modelCard.SaveResolved(preparedModel.Directory);
        return new ModelSetup(modelCard, modelAdapter, preparedModel);
    }

    /// <summary>A prepared directory's model, for commands that read a run (eval, export).</summary>
    public static ModelSetup FromPrepared(string prepared) => Resolve(new ModelRequest(), prepared, new TrainableSelection(), prepared, _ => { });
}
