using Bszo.Ort.Optimizers;

namespace Bszo.Cluster.Coordinator;

/// <summary>
/// The coordinator's durable state: the run's trajectory log (header, then one record per step) and
/// the same records in memory, to serve workers that catch up.
/// </summary>
/// <remarks>Owns the open log file; dispose to close it.</remarks>
internal sealed class TrajectoryStore : IDisposable
{
    /// <summary>File name of the log inside the run directory.</summary>
    public const string FileName = "trajectory.jsonl";

    private readonly List<StepRecord> _records;
    private TrajectoryLog? _log;

    private TrajectoryStore(string path, TrajectoryHeader? header, List<StepRecord> records, TrajectoryLog? log)
    {
        Path = path;
        Header = header;
        _records = records;
        _log = log;
    }

    public string Path { get; }

    /// <summary>Null until the first worker fixes it (new runs).</summary>
    public TrajectoryHeader? Header { get; private set; }

    public long Count => _records.Count;

    public StepRecord this[long step] => _records[checked((int)step)];

    /// <summary>Opens the log in <paramref name="directory"/>, resuming it when it exists.</summary>
    public static TrajectoryStore Open(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = System.IO.Path.Combine(directory, FileName);
        if (!File.Exists(path)) return new TrajectoryStore(path, null, [], null);
        var (header, records) = TrajectoryLog.Read(path);
        var log = TrajectoryLog.Append(path, records.Count);
        return new TrajectoryStore(path, header, records, log);
    }

    /// <summary>Starts the log with <paramref name="header"/>.</summary>
    public void Start(TrajectoryHeader header)
    {
        if (Header is not null) throw new InvalidOperationException("The trajectory already has a header.");
        Header = header;
        _log = TrajectoryLog.Create(Path, header);
    }

    /// <summary>Appends the next step's record (flushed before returning).</summary>
    public void Append(StepRecord record)
    {
        if (_log is null) throw new InvalidOperationException("The trajectory has no header yet.");
        if (record.Step != _records.Count) throw new InvalidOperationException($"Record {record.Step} does not follow record {_records.Count - 1}.");
        _log.Write(record);
        _records.Add(record);
    }

    /// <summary>Records [from, from + max) that exist.</summary>
    public StepRecord[] Slice(long from, int max)
    {
        if (from < 0 || from >= _records.Count || max <= 0) return [];
        int start = checked((int)from);
        return [.. _records.Skip(start).Take(max)];
    }

    public void Dispose()
    {
        _log?.Dispose();
        _log = null;
    }
}
