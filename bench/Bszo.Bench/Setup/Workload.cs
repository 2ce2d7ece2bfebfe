using System.Globalization;

namespace Bszo.Bench.Setup;

/// <summary>One benchmark workload: a model and the shape of the batch every configuration runs on.</summary>
/// <param name="Model">The model.</param>
/// <param name="Batch">Examples per batch.</param>
/// <param name="Sequence">Tokens per row.</param>
/// <param name="Prompt">
/// For decoders, MeZO's prompt protocol (SST-2 template): each example is a prompt followed by each of
/// two one-token candidates, scored by the candidate's likelihood, so the loss reads one position per
/// row. Otherwise decoders are scored at every position (the next-token loss of the whole batch).
/// </param>
public sealed record Workload(BenchModel Model, int Batch, int Sequence, bool Prompt = false)
{
    /// <summary>Candidate answers per example under <see cref="Prompt"/> (SST-2: " terrible", " great").</summary>
    public const int Candidates = 2;

    /// <summary>A file-name-safe identifier, e.g. "opt-125m-b16-s128" or "opt-125m-b16-s128-prompt".</summary>
    public string Id => string.Create(CultureInfo.InvariantCulture, $"{Model.Name}-b{Batch}-s{Sequence}{(Prompt ? "-prompt" : "")}");

    /// <summary>Parses "model:sequence" or "model:sequence:prompt" (e.g. "opt-125m:256"); the batch comes from the command line.</summary>
    public static (string Model, int Sequence, bool Prompt) Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(':', 3, StringSplitOptions.TrimEntries);
        if (parts.Length < 2 || !int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var sequence) || sequence < 2
            || (parts.Length == 3 && parts[2] != "prompt"))
        {
            return Throw.Bszo<(string, int, bool)>($"Workload '{text}' is not of the form model:sequence[:prompt].", "e.g. opt-125m:128, use-lite:128 or opt-125m:128:prompt", text);
        }
        return (parts[0], sequence, parts.Length == 3);
    }
}
