using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bszo.Ort;
using Bszo.Ort.Graph;

namespace Bszo.Models.Training;

/// <summary>
/// <c>metrics.jsonl</c>: one JSON object per line, with Hugging Face Trainer key names (step, loss,
/// learning_rate, epoch, eval_loss, eval_accuracy, test_accuracy, ...) so existing plotting scripts
/// read it, plus forward_passes, elapsed (seconds) and peak_rss_mb.
/// </summary>
/// <remarks>
/// Append-only; each line is flushed as it is written. A crash leaves at most one partial last
/// line, which <see cref="Read"/> skips. On resume the log is cut back to the steps that survive.
/// </remarks>
public sealed class MetricsLog : IDisposable
{
    private readonly FileStream _stream;

    private MetricsLog(FileStream stream) => _stream = stream;

    /// <summary>Opens the log for appending (creating it if needed).</summary>
    public static MetricsLog Open(string path)
    {
        try
        {
            return new MetricsLog(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Throw.Bszo<MetricsLog>(e, $"Cannot write the metrics log '{path}'.", found: e.Message, hint: "choose an output directory you can write to.");
        }
    }

    /// <summary>Appends one entry.</summary>
    public void Write(JsonObject entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var bytes = Encoding.UTF8.GetBytes(entry.ToJsonString() + "\n");
        try
        {
            _stream.Write(bytes);
            _stream.Flush(flushToDisk: false);
        }
        catch (IOException e)
        {
            Throw.Bszo(e, $"Cannot append to the metrics log '{_stream.Name}'.", found: e.Message,
                hint: "the disk may be full; the trajectory and checkpoints written so far are intact, so --resume continues the run.");
        }
    }

    /// <summary>All complete entries of a log (a partial last line is skipped; a missing file gives none).</summary>
    public static List<JsonObject> Read(string path)
    {
        var entries = new List<JsonObject>();
        if (!File.Exists(path)) return entries;
        var lines = File.ReadAllLines(path);
        for (int i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            try
            {
                if (JsonNode.Parse(lines[i]) is JsonObject obj) entries.Add(obj);
            }
            catch (JsonException) when (i == lines.Length - 1)
            {
                // a partial last line from an interrupted write
            }
        }
        return entries;
    }

    /// <summary>Replaces the log's contents with <paramref name="entries"/>, atomically.</summary>
    public static void Rewrite(string path, IEnumerable<JsonObject> entries) =>
        AtomicFile.WriteAllText(path, string.Concat(entries.Select(e => e.ToJsonString() + "\n")));

    public void Dispose() => _stream.Dispose();
}
