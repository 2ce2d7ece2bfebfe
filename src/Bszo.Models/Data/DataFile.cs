using Bszo.Ort;

namespace Bszo.Models.Data;

/// <summary>Reads the rows of a JSONL, JSON, CSV, TSV or Parquet file.</summary>
/// <remarks>
/// Every reader reports a malformed row with the file and the line (for Parquet, the row number),
/// so a user can open the file at the right place.
/// </remarks>
public static class DataFile
{
    /// <summary>All rows of <paramref name="path"/>.</summary>
    public static IReadOnlyList<DataRow> Read(string path, DataFileOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new DataFileOptions();
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            Throw.Bszo($"Data file '{full}' does not exist.",
                "a .jsonl, .json, .csv, .tsv or .parquet file", "no such file", "check the path given to --data / --train / --dev / --test.");
        }
        var format = options.Format == DataFormat.Auto ? FormatOf(full) : options.Format;
        if (format != DataFormat.Parquet) Utf8Check.Require(full);
        return format switch
        {
            DataFormat.JsonLines or DataFormat.Json => JsonRowReader.Read(full, format),
            DataFormat.Csv => CsvRowReader.Read(full, ',', options),
            DataFormat.Tsv => CsvRowReader.Read(full, '\t', options),
            DataFormat.Parquet => ParquetRowReader.Read(full),
            _ => throw new ArgumentOutOfRangeException(nameof(options)),
        };
    }

    /// <summary>The format implied by the file extension.</summary>
    public static DataFormat FormatOf(string path)
    {
        var extension = Path.GetExtension(path).ToLowerInvariant();
        return extension switch
        {
            ".jsonl" or ".ndjson" => DataFormat.JsonLines,
            ".json" => DataFormat.Json,
            ".csv" => DataFormat.Csv,
            ".tsv" or ".tab" => DataFormat.Tsv,
            ".parquet" or ".pq" => DataFormat.Parquet,
            _ => Throw.Bszo<DataFormat>($"Cannot tell the format of data file '{path}'.",
                ".jsonl, .ndjson, .json, .csv, .tsv or .parquet", extension.Length == 0 ? "no extension" : extension,
                "rename the file, or give the format explicitly (--data-format)."),
        };
    }
}
