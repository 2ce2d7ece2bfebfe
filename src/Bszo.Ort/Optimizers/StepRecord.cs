using System.Text.Json.Serialization;

namespace Bszo.Ort.Optimizers;

/// <summary>
/// Everything needed to repeat one optimizer step without forward passes: the step's seeds and the
/// losses the forward passes returned. Derived scalars (projected gradients, posterior means) are
/// stored too, for people reading the log.
/// </summary>
public sealed class StepRecord
{
    /// <summary>Zero-based step index.</summary>
    public long Step { get; init; }

    /// <summary>Seeds drawn in this step, in order of use.</summary>
    public List<ulong> Seeds { get; init; } = [];

    /// <summary>Losses returned by the forward passes, in order.</summary>
    public List<double> Losses { get; init; } = [];

    /// <summary>The learning rate used for the update.</summary>
    public double LearningRate { get; set; }

    /// <summary>Derived scalars (e.g. "g" for MeZO, "mu0", "mu1", "sigma_e" for BSZO).</summary>
    public Dictionary<string, double> Scalars { get; init; } = [];

    /// <summary>Mean of the step's losses at unperturbed weights where measured, else of all losses: a progress signal.</summary>
    [JsonIgnore]
    public double ReportedLoss => Scalars.TryGetValue("loss", out var l) ? l : Losses.Count > 0 ? Losses.Average() : double.NaN;
}
