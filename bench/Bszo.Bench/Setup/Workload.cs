using System.Globalization;

namespace Bszo.Bench.Setup;

/// <summary>One benchmark workload: a model and the shape of the batch every configuration runs on.</summary>
public sealed record Workload(BenchModel Model, int Batch, int Sequence)
{
    /// <summary>A file-name-safe identifier, e.g. "opt-125m-b16-s128".</summary>
    public string Id => string.Create(CultureInfo.InvariantCulture, $"{Model.Name}-b{Batch}-s{Sequence}");

    /// <summary>Parses "model:sequence" (e.g. "opt-125m:256"); the batch comes from the command line.</summary>
    public static (string Model, int Sequence) Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(':', 2, StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || !int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var sequence) || sequence < 2)
        {
            return Throw.Bszo<(string, int)>($"Workload '{text}' is not of the form model:sequence.", "e.g. opt-125m:128 or use-lite:128", text);
        }
        return (parts[0], sequence);
    }
}
