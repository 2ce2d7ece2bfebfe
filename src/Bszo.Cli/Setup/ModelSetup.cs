using Bszo.Models.Adapters;
using Bszo.Models.Training;
using Bszo.Ort;
using Bszo.Ort.Graph;

namespace Bszo.Cli.Setup;

/// <summary>A model ready to train or evaluate: its card, adapter and prepared training graph.</summary>
internal sealed record ModelSetup(ModelCard Card, ModelAdapter Adapter, PreparedModel Prepared)
{
    /// <summary>
    /// The card of the model: the one a prepared directory was prepared from (<paramref name="prepared"/>,
    /// or a --model path that holds manifest.json), else the one <paramref name="request"/> names (see
    /// <see cref="ModelResolver"/>). Nothing is written but Bszo's caches.
    /// </summary>
    public static ModelCard CardFor(ModelRequest request, string? prepared, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (PreparedDirectory(request, prepared) is string directory)
        {
            var p = PreparedModel.Open(directory);
            if (!File.Exists(p.Manifest.SourceModel))
            {
                Throw.Bszo($"The model that '{p.Directory}' was prepared from is gone.", $"'{p.Manifest.SourceModel}' (its card and tokenizer are read from there)",
                    "no such file", "put the model back where it was, or prepare it again from its new place (`bszo prepare --model DIR --out DIR`).");
            }
            return ModelCard.LoadResolved(p.Directory) ?? ModelCard.Load(Path.GetDirectoryName(p.Manifest.SourceModel)!);
        }
        return ModelResolver.Resolve(request with { Log = log });
    }

    /// <summary>
    /// The model of <paramref name="card"/> prepared for training: the prepared directory the request
    /// names, else a preparation in <paramref name="preparedDirectory"/> (reused when identical), with
    /// the card saved beside it.
    /// </summary>
    /// <param name="card">From <see cref="CardFor"/>.</param>
    /// <param name="request">--model and the options that shape it.</param>
    /// <param name="prepared">--prepared: a prepared directory.</param>
    /// <param name="selection">What to train (nothing chosen: the card's tensors).</param>
    /// <param name="preparedDirectory">Where to prepare the model when needed.</param>
    /// <param name="log">Progress messages.</param>
    /// <param name="mayReplace">Whether a different preparation already in <paramref name="preparedDirectory"/> may be replaced.</param>
    public static ModelSetup Prepare(ModelCard card, ModelRequest request, string? prepared, TrainableSelection selection, string preparedDirectory, Action<string> log,
        bool mayReplace = true)
    {
        ArgumentNullException.ThrowIfNull(card);
        ArgumentNullException.ThrowIfNull(selection);
        var adapter = ModelAdapters.Create(card);
        if (PreparedDirectory(request, prepared) is string directory)
        {
            if (!selection.IsCardDefault)
            {
                Throw.Bszo($"--trainable, --train-top-layers and --lora choose what `bszo prepare` makes trainable; '{directory}' is already prepared.",
                    "these options with --model", $"{selection.Describe()} with a prepared directory",
                    "pass them to `bszo prepare`, or give --model instead of --prepared.");
            }
            var p = PreparedModel.Open(directory);
            TrainingModels.RequireLossHead(p, adapter);
            return new ModelSetup(card, adapter, p);
        }
        var preparedModel = TrainingModels.PrepareOrReuse(card, adapter, selection, preparedDirectory, mayReplace, log);
        card.SaveResolved(preparedModel.Directory);
        return new ModelSetup(card, adapter, preparedModel);
    }

    /// <summary><see cref="CardFor"/> then <see cref="Prepare"/>, for commands that need no data in between.</summary>
    public static ModelSetup Resolve(ModelRequest request, string? prepared, TrainableSelection selection, string preparedDirectory, Action<string> log) =>
        Prepare(CardFor(request, prepared, log), request, prepared, selection, preparedDirectory, log);

    /// <summary>A prepared directory's model, for commands that read a run (eval, export).</summary>
    public static ModelSetup FromPrepared(string prepared) => Resolve(new ModelRequest(), prepared, new TrainableSelection(), prepared, _ => { });

    private static string? PreparedDirectory(ModelRequest request, string? prepared) =>
        prepared ?? (request.Model is { } model && !ModelResolver.IsName(model) && File.Exists(Path.Combine(model, WeightManifest.FileName)) ? model : null);
}
