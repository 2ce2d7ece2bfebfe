using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Bszo.Ort;
using CsvHelper;
using CsvHelper.Configuration;

namespace Bszo.Models.Data;

/// <summary>
/// CSV and TSV through CsvHelper: RFC 4180 quoting (separators, doubled quotes and line breaks
/// inside quoted fields), a UTF-8 byte-order mark, and CRLF or LF line ends.
/// </summary>
internal static class CsvRowReader
{
    public static IReadOnlyList<DataRow> Read(string path, char separator, DataFileOptions options)
    {
        long previousEnd = 0, recordStart = 1;
        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            Delimiter = separator.ToString(),
            HasHeaderRecord = false, // handled here, to report the header's own problems by line
            Mode = options.Quoting ? CsvMode.RFC4180 : CsvMode.NoEscape,
            IgnoreBlankLines = true,
            DetectColumnCountChanges = false,
            // An unclosed quote swallows the lines after it: the record's first line is where to look.
            BadDataFound = args => Malformed(path, recordStart,
                "a field that is either unquoted or wholly quoted, with inner quotes doubled", Shorten(args.RawRecord)),
        };
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        using var parser = new CsvParser(reader, config);
        var rows = new List<DataRow>();
        string[]? columns = options.HasHeader ? null : [.. options.Columns];
        if (!options.HasHeader && columns!.Length == 0)
        {
            Throw.Bszo($"'{path}' is read without a header, but no column names were given.",
                "column names (--columns sentence,label)", "none");
        }
        while (parser.Read())
        {
            long start = recordStart = previousEnd + 1;
            previousEnd = parser.RawRow;
            var record = parser.Record ?? [];
            if (columns is null)
            {
                columns = record.Select(c => c.Trim()).ToArray();
                var duplicate = columns.GroupBy(c => c, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
                if (duplicate is not null) Malformed(path, start, "distinct column names in the header", $"'{duplicate.Key}' twice");
                continue;
            }
            if (record.Length != columns.Length)
            {
                Malformed(path, start, $"{columns.Length} fields ({string.Join(", ", columns)})",
                    $"{record.Length} field(s): {Shorten(string.Join(separator, record))}");
            }
            var fields = new JsonObject();
            for (int i = 0; i < columns.Length; i++) fields[columns[i]] = JsonValue.Create(record[i]);
            rows.Add(new DataRow(fields, path, start));
        }
        return rows;
    }

    private static string Shorten(string? text)
    {
        text = (text ?? "").ReplaceLineEndings("⏎");
        return text.Length <= 120 ? text : text[..117] + "...";
    }

    [DoesNotReturn]
    private static void Malformed(string path, long line, string expected, string found) =>
        Throw.Bszo($"'{path}' line {line} is malformed.", expected, found,
            "fix or remove that row. Fields that contain the separator, quotes or line breaks must be quoted, with inner quotes doubled; for GLUE-style TSV files with bare quotes, turn quoting off (--no-quoting).");
}
