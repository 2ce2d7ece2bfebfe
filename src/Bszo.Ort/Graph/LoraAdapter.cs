namespace Bszo.Ort.Graph;

/// <summary>
/// One LoRA adapter inserted by <see cref="TrainingModelBuilder.Prepare"/>, as recorded in the
/// manifest: base weight W [In, Out] (frozen, still in the graph), trainable A [In, Rank] and
/// B [Rank, Out], and the scale α/r of their product.
/// </summary>
/// <param name="Weight">Name of the frozen base weight W.</param>
/// <param name="A">Name of the trainable down-projection A (a graph input).</param>
/// <param name="B">Name of the trainable up-projection B (a graph input).</param>
/// <param name="Rank">r.</param>
/// <param name="Alpha">α.</param>
/// <param name="In">W's rows.</param>
/// <param name="Out">W's columns.</param>
public sealed record LoraAdapter(string Weight, string A, string B, int Rank, double Alpha, long In, long Out)
{
    /// <summary>α/r, the factor applied to (x·A)·B.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double Scale => Alpha / Rank;
}
