using Bszo.Ort.Graph;

namespace Bszo.Bench.Setup;

/// <summary>
/// A workload made ready for measurement: its model found or exported, its batch written, and its
/// training model prepared, all in a scratch directory that <see cref="Dispose"/> deletes (a
/// prepared OPT-350m holds 1.3 GB of weights).
/// </summary>
public sealed class PreparedWorkload : IDisposable
{
    private PreparedWorkload(Workload workload, BatchFiles batch, PreparedModel prepared, PreparedModel? fullHead, string directory)
    {
        Workload = workload;
        Batch = batch;
        Prepared = prepared;
        FullHead = fullHead;
        Directory = directory;
    }

    public Workload Workload { get; }

    public BatchFiles Batch { get; }

    public PreparedModel Prepared { get; }

    /// <summary>
    /// Prompt workloads only: the same model prepared with the LM head over every position (as Bszo
    /// prepared decoders before it ran the head only where scored), measured beside <see cref="Prepared"/>.
    /// </summary>
    public PreparedModel? FullHead { get; }

    /// <summary>The scratch directory (batch, prepared model, probe requests and results).</summary>
    public string Directory { get; }

    /// <summary>Resolves the model, writes the batch and prepares the training model under the settings' scratch directory.</summary>
    public static PreparedWorkload Create(string spec, BenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var (name, sequence, prompt) = Workload.Parse(spec);
        var model = BenchModel.Resolve(name, settings.Python, settings.Log);
        if (prompt && !model.IsDecoder)
        {
            Throw.Bszo($"Workload '{spec}' asks for the prompt protocol of a classifier.", "a decoder (opt-...) with :prompt", name, "drop ':prompt' for classifiers.");
        }
        if (sequence > model.Card.MaxLength)
        {
            Throw.Bszo($"Workload '{spec}' asks for {sequence} tokens.", $"at most {model.Card.MaxLength} (the card's maxLength: the graph clips longer inputs)", $"{sequence}");
        }
        var workload = new Workload(model, settings.Batch, sequence, prompt);
        var directory = System.IO.Directory.CreateDirectory(Path.Combine(settings.Scratch, workload.Id)).FullName;
        try
        {
            var batch = BatchFiles.Write(workload, Path.Combine(directory, "batch"));
            settings.Log($"{workload.Id}: preparing the training model");
            var prepared = TrainingPreparation.Prepare(workload, Path.Combine(directory, "prepared"), scoredPositionsOnly: true);
            var fullHead = prompt ? TrainingPreparation.Prepare(workload, Path.Combine(directory, "prepared-full-head"), scoredPositionsOnly: false) : null;
            return new PreparedWorkload(workload, batch, prepared, fullHead, directory);
        }
        catch
        {
            TryDelete(directory);
            throw;
        }
    }

    public void Dispose() => TryDelete(Directory);

    private static void TryDelete(string directory)
    {
        try
        {
            if (System.IO.Directory.Exists(directory)) System.IO.Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
