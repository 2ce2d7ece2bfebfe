using Bszo.Ort;

namespace Bszo.Models.Training;

/// <summary>
/// The files of one run:
/// <code>
/// config.json            resolved configuration and package versions
/// trajectory.jsonl       one line per optimizer step (replayable)
/// metrics.jsonl          step, loss, learning_rate, eval_loss, eval_accuracy, ... (Hugging Face key names)
/// checkpoints/step_N/    resumable snapshots (weights, optimizer and trainer state), DONE written last
/// best/step_N/ + best.json   the weights with the best dev score so far
/// results.json           zero-shot and fine-tuned scores
/// loss.png, accuracy.png plots
/// prepared/              the training model (when `finetune` prepared it)
/// </code>
/// </summary>
public sealed class RunDirectory
{
    private RunDirectory(string root) => Root = root;

    /// <summary>The run's directory.</summary>
    public string Root { get; }

    public string Config => Path.Combine(Root, "config.json");

    public string Trajectory => Path.Combine(Root, "trajectory.jsonl");

    public string Metrics => Path.Combine(Root, "metrics.jsonl");

    public string Checkpoints => Path.Combine(Root, "checkpoints");

    public string Best => Path.Combine(Root, "best");

    public string BestPointer => Path.Combine(Root, "best.json");

    public string Results => Path.Combine(Root, "results.json");

    public string Prepared => Path.Combine(Root, "prepared");

    /// <summary>
    /// True when the directory holds a run worth keeping: at least one logged step or a checkpoint. A
    /// trajectory with only its header (a run that failed before its first step) is not one.
    /// </summary>
    public bool HoldsRun =>
        global::Bszo.Models.Training.Checkpoints.List(Checkpoints).Count > 0
        || (File.Exists(Trajectory) && File.ReadLines(Trajectory).Skip(1).Any(line => line.Length > 0));

    /// <summary>Refuses to start a new run where one is already logged (it would be overwritten).</summary>
    public void RequireNoRun()
    {
        if (HoldsRun)
        {
            throw new BszoException(BszoException.Format($"'{Root}' already holds a run.", "a new --out directory, or --resume", "trajectory.jsonl with logged steps, or checkpoints",
                "continue it with --resume, or choose another --out directory; nothing was changed."));
        }
    }

    /// <summary>Refuses to resume where there is no run to continue.</summary>
    public void RequireRunToResume()
    {
        if (!File.Exists(Trajectory))
        {
            throw new BszoException(BszoException.Format($"--resume: '{Root}' holds no run to continue.", "the --out directory of an earlier `bszo finetune` (with trajectory.jsonl)",
                Directory.Exists(Root) ? "no trajectory.jsonl" : "no such directory",
                "check the path (runs go under runs/ unless --out says otherwise), or leave out --resume to start a new run there."));
        }
    }

    /// <summary>The run at <paramref name="path"/> (not created).</summary>
    public static RunDirectory At(string path) => new(Path.GetFullPath(path));

    /// <summary>Directory name of the checkpoint after <paramref name="step"/> steps.</summary>
    public static string StepName(long step) => $"step_{step:D8}";
}
