namespace Bszo.Models.Training;

/// <summary>Which tensors weight decay applies to: MeZO's rule, every tensor except biases and normalisation parameters.</summary>
public static class WeightDecay
{
    /// <summary>True for tensors that decay.</summary>
    public static bool AppliesTo(string tensorName)
    {
        ArgumentNullException.ThrowIfNull(tensorName);
        var name = tensorName.ToLowerInvariant();
        return !name.Contains("bias", StringComparison.Ordinal) && !name.Contains("norm", StringComparison.Ordinal);
    }
}
