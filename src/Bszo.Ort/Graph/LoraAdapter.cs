namespace Bszo.Ort.Graph;

/// <summary>
/// One LoRA adapter inserted by <see cref="TrainingModelBuilder.Prepare"/>, as recorded in the
/// manifest: base weight W [In, Out] (frozen, still in the graph), trainable A [In, Rank] and
/// B [Rank, columns], and the scale α/r of their product.
/// </summary>
/// <param name="Weight">Name of the frozen base weight W.</param>
/// <param name="A">Name of the trainable down-projection A (a graph input).</param>
/// <param name="B">Name of the trainable up-projection B (a graph input).</param>
/// <param name="Rank">r.</param>
/// <param name="Alpha">α.</param>
/// <param name="In">W's rows.</param>
/// <param name="Out">W's columns.</param>
/// <param name="Columns">
/// The blocks of W's columns that B's columns update, in order (null: all of them, B is [Rank, Out]);
/// e.g. the query and value thirds of a fused query-key-value projection.
/// </param>
public sealed record LoraAdapter(string Weight, string A, string B, int Rank, double Alpha, long In, long Out, IReadOnlyList<LoraColumns>? Columns = null)
{
    /// <summary>α/r, the factor applied to (x·A)·B.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double Scale => Alpha / Rank;

    /// <summary>B's columns.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public long BColumns => Columns?.Sum(c => c.Count) ?? Out;

    /// <summary>The column of W that column <paramref name="j"/> of B updates.</summary>
    public long TargetColumn(long j)
    {
        if (Columns is null) return j;
        foreach (var block in Columns)
        {
            if (j < block.Count) return block.Start + j;
            j -= block.Count;
        }
        throw new ArgumentOutOfRangeException(nameof(j));
    }
}

/// <summary>A block of a weight's columns: <paramref name="Count"/> columns from <paramref name="Start"/>.</summary>
public sealed record LoraColumns(long Start, long Count);
