using Bszo.Ort.Optimizers;

namespace Bszo.Cluster.Protocol;

/// <summary>The wire form of a <see cref="StepRecord"/> (a type Bszo.Ort defines without Orleans attributes).</summary>
[GenerateSerializer]
[Alias("bszo.cluster.StepRecord")]
public struct StepRecordSurrogate
{
    [Id(0)]
    public long Step { get; set; }

    [Id(1)]
    public ulong[] Seeds { get; set; }

    [Id(2)]
    public double[] Losses { get; set; }

    [Id(3)]
    public double LearningRate { get; set; }

    [Id(4)]
    public Dictionary<string, double> Scalars { get; set; }
}

/// <summary>Lets grain interfaces take and return <see cref="StepRecord"/> directly.</summary>
[RegisterConverter]
public sealed class StepRecordConverter : IConverter<StepRecord, StepRecordSurrogate>
{
    public StepRecord ConvertFromSurrogate(in StepRecordSurrogate surrogate) => new()
    {
        Step = surrogate.Step,
        Seeds = [.. surrogate.Seeds ?? []],
        Losses = [.. surrogate.Losses ?? []],
        LearningRate = surrogate.LearningRate,
        Scalars = surrogate.Scalars is null ? [] : new Dictionary<string, double>(surrogate.Scalars, StringComparer.Ordinal),
    };

    public StepRecordSurrogate ConvertToSurrogate(in StepRecord value) => new()
    {
        Step = value.Step,
        Seeds = [.. value.Seeds],
        Losses = [.. value.Losses],
        LearningRate = value.LearningRate,
        Scalars = new Dictionary<string, double>(value.Scalars, StringComparer.Ordinal),
    };
}
