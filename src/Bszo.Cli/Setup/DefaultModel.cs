using Bszo.Ort;

namespace Bszo.Cli.Setup;

/// <summary>
/// The model `bszo finetune` trains when no --model or --prepared is given: the one place that
/// knows which model that is and how to obtain it.
/// </summary>
internal static class DefaultModel
{
    /// <summary>A short description for help texts.</summary>
    public const string Description = "the built-in default model";

    /// <summary>
    /// The directory (holding <c>bszo-model.json</c>) of the default model, fetched and converted
    /// on first use.
    /// </summary>
    public static string Resolve(Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(log);
        throw new BszoException(BszoException.Format("This build of bszo has no built-in default model.",
            "--model DIR (a directory with bszo-model.json) or --prepared DIR (from `bszo prepare`)", "neither",
            "export your model with tools/export, or point --model at any directory holding an ONNX model and its bszo-model.json card."));
    }
}
