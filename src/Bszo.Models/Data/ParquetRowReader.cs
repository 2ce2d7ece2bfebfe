using System.Collections;
using System.Globalization;
using System.Text.Json.Nodes;
using Bszo.Ort;
using Parquet.Serialization;

namespace Bszo.Models.Data;

/// <summary>Apache Parquet files through Parquet.Net; a row's "line" is its 1-based row number.</summary>
internal static class ParquetRowReader
{
    public static IReadOnlyList<DataRow> Read(string path)
    {
        IList<Dictionary<string, object>> data;
        try
        {
            using var stream = File.OpenRead(path);
            // Parquet.Net is asynchronous only; data files are read once, before training starts.
            data = ParquetSerializer.DeserializeUntypedAsync(stream).GetAwaiter().GetResult().Data;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or InvalidOperationException
                                      or ArgumentException or Parquet.ParquetException)
        {
            data = Throw.Bszo<IList<Dictionary<string, object>>>(e, $"'{path}' is not a readable Parquet file.", "an Apache Parquet file", e.Message,
                "check that the file is complete; Parquet files written by pandas/pyarrow and Spark are supported.");
        }
        var rows = new List<DataRow>(data.Count);
        for (int i = 0; i < data.Count; i++)
        {
            var fields = new JsonObject();
            foreach (var (key, value) in data[i]) fields[key] = ToNode(value);
            rows.Add(new DataRow(fields, path, i + 1));
        }
        return rows;
    }

    private static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        byte or sbyte or short or ushort or int or uint or long => JsonValue.Create(Convert.ToInt64(value, CultureInfo.InvariantCulture)),
        float f => JsonValue.Create((double)f),
        double d => JsonValue.Create(d),
        decimal m => JsonValue.Create(m),
        DateTime t => JsonValue.Create(t.ToString("O", CultureInfo.InvariantCulture)),
        Dictionary<string, object> nested => ToObject(nested),
        IDictionary map => ToObject(map),
        IEnumerable list and not byte[] => new JsonArray(list.Cast<object?>().Select(ToNode).ToArray()),
        _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
    };

    private static JsonObject ToObject(IDictionary map)
    {
        var obj = new JsonObject();
        foreach (DictionaryEntry e in map) obj[Convert.ToString(e.Key, CultureInfo.InvariantCulture)!] = ToNode(e.Value);
        return obj;
    }
}
