using Bszo.Ort;

namespace Bszo.Models.Adapters;

/// <summary>Creates the adapter that matches a model card's kind.</summary>
public static class ModelAdapters
{
    /// <summary>The adapter for <paramref name="card"/>.</summary>
    public static ModelAdapter Create(ModelCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
        return card.Kind switch
        {
            EncoderClassifierAdapter.KindName => new EncoderClassifierAdapter(card),
            FeatureClassifierAdapter.KindName => FeatureClassifierAdapter.Create(card),
            DecoderLmAdapter.KindName => DecoderLmAdapter.Create(card),
            GenericAdapter.KindName => GenericAdapter.Create(card),
            _ => Throw.Bszo<ModelAdapter>($"Model card in '{card.Directory}' has an unknown kind '{card.Kind}'.",
                "encoder-classifier, decoder-lm, generic or feature-classifier", card.Kind, "re-export the model with tools/export."),
        };
    }
}
