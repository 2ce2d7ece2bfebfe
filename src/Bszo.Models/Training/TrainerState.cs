using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bszo.Models.Training;

/// <summary>The loop's own progress, saved in every checkpoint (<c>trainer.json</c>).</summary>
public sealed record TrainerState
{
    /// <summary>Steps completed.</summary>
    public long Step { get; init; }

    /// <summary>Forward passes spent on training steps (evaluations not included).</summary>
    public long ForwardPasses { get; init; }

    /// <summary>Steps after which the dev score was best so far (0: the base weights).</summary>
    public long BestStep { get; init; }

    /// <summary>The best dev score so far (accuracy or F1), or null before the zero-shot evaluation.</summary>
    public double? BestMetric { get; init; }

    /// <summary>Evaluations in a row without a better dev score.</summary>
    public int EvalsWithoutImprovement { get; init; }

    /// <summary>True once early stopping ended the run.</summary>
    public bool StoppedEarly { get; init; }

    /// <summary>Wall-clock seconds spent training so far, across resumes.</summary>
    public double ElapsedSeconds { get; init; }

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}
