using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;

namespace Bszo.Bench.Setup;

/// <summary>
/// The one batch every configuration of a workload runs on: seeded random token ids (all positions
/// real, no padding) and, for classifiers, random labels. Written as raw little-endian int64 files
/// plus <c>batch.json</c>, so the PyTorch reference reads exactly the same numbers. Under the prompt
/// protocol each example is <see cref="Workload.Candidates"/> rows, its prompt followed by each
/// candidate token, with a random label.
/// </summary>
public sealed record BatchFiles
{
    /// <summary>The description file's name.</summary>
    public const string FileName = "batch.json";

    /// <summary>Examples.</summary>
    public required int Batch { get; init; }

    /// <summary>Candidate rows per example under the prompt protocol; 0 otherwise (one row per example).</summary>
    public int Candidates { get; init; }

    /// <summary>Rows of the token tensors.</summary>
    [JsonIgnore]
    public int Rows => Candidates > 0 ? Batch * Candidates : Batch;

    public required int Sequence { get; init; }

    /// <summary>Graph input name → file, relative to the batch directory.</summary>
    public required Dictionary<string, string> Inputs { get; init; }

    /// <summary>The labels file for classifiers; null for decoders.</summary>
    public string? Labels { get; init; }

    /// <summary>The directory holding the files (not serialized).</summary>
    [JsonIgnore]
    public string Directory { get; init; } = "";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    /// <summary>Draws the batch of <paramref name="workload"/> and writes it into <paramref name="directory"/>.</summary>
    public static BatchFiles Write(Workload workload, string directory, int seed = 1234)
    {
        ArgumentNullException.ThrowIfNull(workload);
        System.IO.Directory.CreateDirectory(directory);
        var card = workload.Model.Card;
        var rng = new Random(seed);
        int candidates = workload.Prompt ? Workload.Candidates : 0;
        int rows = workload.Prompt ? workload.Batch * candidates : workload.Batch;
        int n = rows * workload.Sequence;
        var ids = new long[n];
        const int firstOrdinaryId = 8; // above every family's special and reserved ids
        for (int i = 0; i < n; i++) ids[i] = rng.Next(firstOrdinaryId, workload.Model.Vocabulary);
        if (workload.Prompt)
        {
            // Rows of one example share its prompt and end in candidate c's token (the same two tokens for every example).
            long[] answers = [firstOrdinaryId, firstOrdinaryId + 1];
            for (int r = 0; r < rows; r++)
            {
                int first = r - r % candidates;
                Array.Copy(ids, first * workload.Sequence, ids, r * workload.Sequence, workload.Sequence - 1);
                ids[(r + 1) * workload.Sequence - 1] = answers[r % candidates];
            }
        }
        var mask = new long[n];
        Array.Fill(mask, 1L);
        var inputs = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [card.Inputs.GetValueOrDefault("input_ids", "input_ids")] = "input_ids.bin",
            [card.Inputs.GetValueOrDefault("attention_mask", "attention_mask")] = "attention_mask.bin",
        };
        WriteLongs(Path.Combine(directory, "input_ids.bin"), ids);
        WriteLongs(Path.Combine(directory, "attention_mask.bin"), mask);
        if (card.Inputs.TryGetValue("position_ids", out var positionsName))
        {
            var positions = new long[n];
            for (int i = 0; i < n; i++) positions[i] = i % workload.Sequence;
            WriteLongs(Path.Combine(directory, "position_ids.bin"), positions);
            inputs[positionsName] = "position_ids.bin";
        }
        string? labels = null;
        if (!workload.Model.IsDecoder || workload.Prompt)
        {
            int classes = workload.Prompt ? candidates : Math.Max(2, card.Labels.Count);
            WriteLongs(Path.Combine(directory, "labels.bin"), Enumerable.Range(0, workload.Batch).Select(_ => (long)rng.Next(classes)).ToArray());
            labels = "labels.bin";
        }
        var files = new BatchFiles { Batch = workload.Batch, Candidates = candidates, Sequence = workload.Sequence, Inputs = inputs, Labels = labels, Directory = directory };
        File.WriteAllText(Path.Combine(directory, FileName), JsonSerializer.Serialize(files, Json));
        return files;
    }

    /// <summary>Reads a batch written by <see cref="Write"/>.</summary>
    public static BatchFiles Read(string directory)
    {
        var files = JsonSerializer.Deserialize<BatchFiles>(File.ReadAllText(Path.Combine(directory, FileName)), Json)
            ?? Throw.Bszo<BatchFiles>($"'{Path.Combine(directory, FileName)}' is empty.");
        return files with { Directory = directory };
    }

    /// <summary>The model's own inputs (ids, mask, positions), for plain inference of the original graph.</summary>
    public TensorBatch ModelInputs()
    {
        var batch = new TensorBatch(Batch);
        try
        {
            foreach (var (name, file) in Inputs) batch.Add(name, ReadLongs(file), Rows, Sequence);
            return batch;
        }
        catch
        {
            batch.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The inputs of the training graph: the model's own, plus the loss head's. Decoders are scored
    /// with the generation protocol over every position (position t predicts token t + 1, so the
    /// loss is the mean next-token cross-entropy of the batch) or, under the prompt protocol, at each
    /// row's last position only (the candidate token), as a classification over candidates.
    /// Classifiers get their labels.
    /// </summary>
    public TensorBatch TrainingInputs(bool decoder)
    {
        var batch = ModelInputs();
        try
        {
            if (decoder)
            {
                var ids = ReadLongs("input_ids.bin");
                var targets = new long[ids.Length];
                var targetMask = new float[ids.Length];
                for (int r = 0; r < Rows; r++)
                {
                    for (int t = Candidates > 0 ? Sequence - 2 : 0; t + 1 < Sequence; t++)
                    {
                        targets[r * Sequence + t] = ids[r * Sequence + t + 1];
                        targetMask[r * Sequence + t] = 1f;
                    }
                }
                batch.Add(CandidateLossHead.TargetIds, targets, Rows, Sequence).Add(CandidateLossHead.TargetMask, targetMask, Rows, Sequence);
                if (Candidates > 0)
                {
                    var candidateMask = Enumerable.Repeat(1f, Rows).ToArray();
                    batch.Add(CandidateLossHead.CandidateMask, candidateMask, Batch, Candidates)
                        .Add(CandidateLossHead.Labels, ReadLongs(Labels ?? Throw.Bszo<string>("The prompt batch has no labels file.")), Batch);
                }
            }
            else
            {
                batch.Add("labels", ReadLongs(Labels ?? Throw.Bszo<string>("The classifier batch has no labels file.")), Batch);
            }
            return batch;
        }
        catch
        {
            batch.Dispose();
            throw;
        }
    }

    private long[] ReadLongs(string file)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Directory, file));
        return MemoryMarshal.Cast<byte, long>(bytes).ToArray();
    }

    private static void WriteLongs(string path, long[] values) => File.WriteAllBytes(path, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
}
