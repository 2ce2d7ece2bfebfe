using Bszo.Models.Adapters;
using Bszo.Ort;
using Microsoft.ML.Tokenizers;

namespace Bszo.Models.Tokenizers;

/// <summary>Creates the tokenizer a model card names.</summary>
public static class ModelTokenizers
{
    /// <summary>The tokenizer of <paramref name="card"/>.</summary>
    public static Tokenizer Create(ModelCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
        var spec = card.Tokenizer;
        if (spec is null)
        {
            Throw.Bszo($"The model card in '{card.Directory}' names no tokenizer.", "a \"tokenizer\" entry", "none",
                "text models need one; re-export the model with its tokenizer files.");
        }
        return spec.Type switch
        {
            "unigram" => UnigramTokenizer.Create(card.Resolve(RequireFile(card, spec, "vocab")), new UnigramTokenizerOptions
            {
                UnknownId = spec.UnkId ?? 0,
                ReservedCount = spec.ReservedCount ?? 0,
            }),
            _ => Throw.Bszo<Tokenizer>($"The model card in '{card.Directory}' names a tokenizer of type '{spec.Type}', which Bszo cannot load yet.",
                "unigram", spec.Type, "convert the model with a unigram vocab.json, or add the tokenizer type to ModelTokenizers."),
        };
    }

    private static string RequireFile(ModelCard card, TokenizerCard spec, string role)
    {
        if (!spec.Files.TryGetValue(role, out var file))
        {
            Throw.Bszo($"The {spec.Type} tokenizer of the model in '{card.Directory}' names no '{role}' file.",
                $"tokenizer.files.{role}", string.Join(", ", spec.Files.Keys), "re-export the model with its tokenizer files.");
        }
        return file;
    }
}
