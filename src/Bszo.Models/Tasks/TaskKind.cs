namespace Bszo.Models.Tasks;

/// <summary>How a task is trained and scored.</summary>
public enum TaskKind
{
    /// <summary>Pick one of a fixed set of verbalized labels; scored by accuracy.</summary>
    Classification,

    /// <summary>Pick one of per-example options; scored by accuracy.</summary>
    MultipleChoice,

    /// <summary>Generate an answer; trained on the gold answer, scored by token F1 against all gold answers.</summary>
    Generation,
}
