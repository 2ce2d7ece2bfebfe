namespace Bszo.Ort.Graph;

/// <summary>
/// LoRA adapters to insert while preparing a model (<see cref="PrepareOptions.Lora"/>): for each
/// chosen MatMul whose second input is a float initializer W [in, out], y = x·W becomes
/// y = x·W + (α/r)·(x·A)·B with new trainable tensors A [in, r] and B [r, out].
/// </summary>
/// <remarks>
/// Defaults are MeZO's LoRA setting, (r, α) = (8, 16). A starts Gaussian with PEFT's Kaiming-uniform
/// variance 1/(3·in) (std 1/√(3·in)), drawn from the counter-based generator under
/// <see cref="Seed"/>; B starts at zero, so the prepared model computes exactly what the original
/// does until B is trained. Memory: r·(in + out) trainable values per adapted matrix.
/// </remarks>
public sealed record LoraOptions
{
    /// <summary>Rank r of each adapter.</summary>
    public int Rank { get; init; } = 8;

    /// <summary>α: the adapter's output is scaled by α/r.</summary>
    public double Alpha { get; init; } = 16;

    /// <summary>
    /// Name patterns (see <see cref="NameGlob"/>) of the weights W to adapt, matched against every
    /// name a weight is known by: its initializer name, its bias's name and the names of the nodes
    /// reading it (exports often leave MatMul weights anonymous). Empty, with no
    /// <see cref="FusedQueryValue"/> either: every MatMul weight that is a 2-D float initializer.
    /// </summary>
    public IReadOnlyList<string> Targets { get; init; } = [];

    /// <summary>
    /// Name patterns of fused query-key-value projections, W = [W_q | W_k | W_v] with three equal
    /// column blocks: only the query and value blocks get an adapter (B has 2·d columns, placed in
    /// the first and last third), so the keys stay as they are.
    /// </summary>
    public IReadOnlyList<string> FusedQueryValue { get; init; } = [];

    /// <summary>Seed of A's initialisation.</summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// The attention projections MeZO and the LoRA paper adapt, query and value, as
    /// <see cref="Targets"/> patterns for separate projections (BERT's <c>query</c>/<c>value</c>,
    /// Llama's and OPT's <c>q_proj</c>/<c>v_proj</c>).
    /// </summary>
    public static IReadOnlyList<string> QueryValueTargets { get; } = ["*query*", "*value*", "*q_proj*", "*v_proj*"];

    /// <summary>
    /// <see cref="FusedQueryValue"/> patterns for fused projections: GPT-2's <c>c_attn</c>, and
    /// <c>qkv</c> (Universal Sentence Encoder Lite, ViT-style exports).
    /// </summary>
    public static IReadOnlyList<string> FusedQueryValueTargets { get; } = ["*c_attn*", "*qkv*"];
}
