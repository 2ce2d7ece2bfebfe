using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Bszo.Ort.Optimizers;

/// <summary>The first line of a trajectory log: what the steps apply to.</summary>
public sealed record TrajectoryHeader
{
    /// <summary>Format identifier.</summary>
    public const string CurrentFormat = "bszo-trajectory/1";

    public string Format { get; init; } = CurrentFormat;

    /// <summary>Optimizer name (e.g. "mezo", "bszo").</summary>
    public string Optimizer { get; init; } = "";

    /// <summary>Optimizer options, including the run seed.</summary>
    public JsonObject Options { get; init; } = [];

    /// <summary>SHA-256 of the base weights the first step applies to.</summary>
    public string BaseWeightsSha256 { get; init; } = "";

    /// <summary>Trainable elements.</summary>
    public long TrainableElements { get; init; }
}

/// <summary>
/// An append-only JSON-lines log of optimizer steps (<see cref="StepRecord"/>): a header line, then
/// one line per step. Together with the base weights it is a complete, tiny checkpoint: replaying it
/// reproduces the fine-tuned weights exactly.
/// </summary>
/// <remarks>
/// Each line is flushed when written. A crash can leave at most one partial last line, which
/// <see cref="Read"/> ignores.
/// </remarks>
public sealed class TrajectoryLog : IDisposable
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
    private readonly FileStream _stream;

    private TrajectoryLog(FileStream stream) => _stream = stream;

    /// <summary>Starts a new log at <paramref name="path"/> (replacing any file there) with <paramref name="header"/>.</summary>
    public static TrajectoryLog Create(string path, TrajectoryHeader header)
    {
        var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        var log = new TrajectoryLog(stream);
        log.WriteLine(JsonSerializer.Serialize(header, Json));
        return log;
    }

    /// <summary>
    /// Reopens a log to append after its first <paramref name="keepSteps"/> records (later ones, e.g.
    /// steps after the checkpoint being resumed, are cut off).
    /// </summary>
    public static TrajectoryLog Append(string path, long keepSteps)
    {
        var (header, records) = Read(path);
        var kept = records.Where(r => r.Step < keepSteps).ToList();
        var temp = path + ".rewrite";
        using (var log = Create(temp, header))
        {
            foreach (var r in kept) log.Write(r);
        }
        File.Move(temp, path, overwrite: true);
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        return new TrajectoryLog(stream);
    }

    /// <summary>Appends one step.</summary>
    public void Write(StepRecord record) => WriteLine(JsonSerializer.Serialize(record, Json));

    /// <summary>Reads a log; a truncated last line is ignored.</summary>
    public static (TrajectoryHeader Header, List<StepRecord> Records) Read(string path)
    {
        if (!File.Exists(path)) Throw.Bszo($"Trajectory log '{path}' does not exist.");
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0) Throw.Bszo($"Trajectory log '{path}' is empty.", "a header line", "nothing");
        TrajectoryHeader? header;
        try
        {
            header = JsonSerializer.Deserialize<TrajectoryHeader>(lines[0], Json);
        }
        catch (JsonException e)
        {
            header = Throw.Bszo<TrajectoryHeader>(e, $"'{path}' line 1 is not a trajectory header.", TrajectoryHeader.CurrentFormat, e.Message);
        }
        if (header is null || header.Format != TrajectoryHeader.CurrentFormat)
        {
            Throw.Bszo($"'{path}' is not a trajectory log of a supported format.", TrajectoryHeader.CurrentFormat, header?.Format ?? "null");
        }
        var records = new List<StepRecord>();
        for (int i = 1; i < lines.Length; i++)
        {
            try
            {
                var r = JsonSerializer.Deserialize<StepRecord>(lines[i], Json);
                if (r is not null) records.Add(r);
            }
            catch (JsonException e) when (i == lines.Length - 1)
            {
                _ = e; // a crash mid-write leaves a partial last line
            }
            catch (JsonException e)
            {
                Throw.Bszo(e, $"'{path}' line {i + 1} is not a step record.", found: e.Message,
                    hint: "the log was edited; only its last line may be incomplete.");
            }
        }
        for (int i = 0; i < records.Count; i++)
        {
            if (records[i].Step != i)
            {
                Throw.Bszo($"'{path}' skips or repeats steps.", $"step {i} on line {i + 2}", $"step {records[i].Step}");
            }
        }
        return (header, records);
    }

    private void WriteLine(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json + "\n");
        _stream.Write(bytes);
        _stream.Flush(flushToDisk: false);
    }

    public void Dispose() => _stream.Dispose();
}
