namespace Bszo.Ort.Graph;

/// <summary>A directory written by <see cref="TrainingModelBuilder.Prepare"/>: training graph, weights, manifest.</summary>
public sealed class PreparedModel
{
    private PreparedModel(string directory, WeightManifest manifest)
    {
        Directory = directory;
        Manifest = manifest;
        Loss = LossHead.FromDescription(manifest.Loss);
    }

    /// <summary>The directory.</summary>
    public string Directory { get; }

    /// <summary>The manifest.</summary>
    public WeightManifest Manifest { get; }

    /// <summary>The loss head the graph was prepared with.</summary>
    public LossHead Loss { get; }

    /// <summary>Path of the training graph.</summary>
    public string GraphPath => Path.Combine(Directory, Manifest.Graph);

    /// <summary>Path of the base weight file.</summary>
    public string DataPath => Path.Combine(Directory, Manifest.Data);

    /// <summary>Opens a prepared directory, checking that its files exist and match the checksums written with them.</summary>
    public static PreparedModel Open(string directory)
    {
        var full = Path.GetFullPath(directory);
        var manifest = WeightManifest.Load(Path.Combine(full, WeightManifest.FileName));
        var prepared = new PreparedModel(full, manifest);
        var hint = $"prepare it again from '{manifest.SourceModel}': delete '{full}' and rerun the command (`bszo finetune` prepares its run's model itself), or run `bszo prepare`.";
        if (!File.Exists(prepared.GraphPath)) Throw.Bszo($"Training graph '{prepared.GraphPath}' is missing.", hint: hint);
        FileChecksums.Verify(full, hint);
        return prepared;
    }
}
