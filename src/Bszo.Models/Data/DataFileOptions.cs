namespace Bszo.Models.Data;

/// <summary>The layout of a data file.</summary>
public enum DataFormat
{
    /// <summary>From the file extension: .jsonl/.ndjson, .json, .csv, .tsv, .parquet.</summary>
    Auto,

    /// <summary>One JSON object per line.</summary>
    JsonLines,

    /// <summary>A JSON array of objects.</summary>
    Json,

    /// <summary>Comma-separated values (RFC 4180).</summary>
    Csv,

    /// <summary>Tab-separated values (RFC 4180 quoting unless <see cref="DataFileOptions.Quoting"/> is off).</summary>
    Tsv,

    /// <summary>Apache Parquet.</summary>
    Parquet,
}

/// <summary>How to read a data file (see <see cref="DataFile.Read"/>).</summary>
public sealed record DataFileOptions
{
    /// <summary>The format; <see cref="DataFormat.Auto"/> picks it from the extension.</summary>
    public DataFormat Format { get; init; } = DataFormat.Auto;

    /// <summary>CSV/TSV: whether the first record names the columns.</summary>
    public bool HasHeader { get; init; } = true;

    /// <summary>CSV/TSV without a header: the column names, in order.</summary>
    public IReadOnlyList<string> Columns { get; init; } = [];

    /// <summary>
    /// CSV/TSV: honour RFC 4180 double-quote quoting (fields with separators, quotes or line breaks).
    /// Turn off for GLUE-style TSV files, whose text contains bare quote characters.
    /// </summary>
    public bool Quoting { get; init; } = true;
}
