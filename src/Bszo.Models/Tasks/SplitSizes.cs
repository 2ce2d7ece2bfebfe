namespace Bszo.Models.Tasks;

/// <summary>Examples per split (MeZO: 1000 train, 500 dev, 1000 test).</summary>
public sealed record SplitSizes(int Train, int Dev, int Test)
{
    /// <summary>MeZO's protocol for decoder models (Malladi et al., 2023).</summary>
    public static SplitSizes Mezo { get; } = new(1000, 500, 1000);
}
