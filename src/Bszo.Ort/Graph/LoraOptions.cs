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
    /// Name patterns (see <see cref="NameGlob"/>) of the weights W to adapt, e.g.
    /// <c>["*q_proj*", "*v_proj*"]</c> for MeZO's query/value choice. Empty: every MatMul weight that
    /// is a 2-D float initializer.
    /// </summary>
    public IReadOnlyList<string> Targets { get; init; } = [];

    /// <summary>Seed of A's initialisation.</summary>
    public ulong Seed { get; init; }
}
