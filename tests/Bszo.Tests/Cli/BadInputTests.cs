using System.Text;
using System.Text.Json.Nodes;
using Bszo.Cli;
using Bszo.Tests.Support;

namespace Bszo.Tests.Cli;

/// <summary>
/// A hostile but fair user's mistakes, each through the real command line (in-process, on the tiny
/// feature-classifier model): every one ends with the right exit code, a message that says what and
/// where, no stack trace, and — for a new run — nothing written.
/// </summary>
public class BadInputTests
{
    private Workspace _common = null!;

    [OneTimeSetUp]
    public void CreateWorkspace() => _common = new Workspace();

    [OneTimeTearDown]
    public void DeleteWorkspace() => _common.Dispose();

    [TestCaseSource(nameof(Cases))]
    public void Is_refused_clearly(BadInput bad)
    {
        ArgumentNullException.ThrowIfNull(bad);
        using var scene = new Scene(_common);
        var args = bad.Args(scene).ToList();
        var r = CliRunner.Run(args);
        TestContext.Out.WriteLine(r.Error);
        Assert.That(r.ExitCode, Is.EqualTo(bad.Exit), r.ToString());
        Assert.That(r.Error, Does.StartWith("bszo: error: "), r.ToString());
        foreach (var word in bad.Words) Assert.That(r.Error, Does.Contain(word), r.ToString());
        Assert.That(r.Error, Does.Not.Contain("internal error").And.Not.Contain("   at "), "no stack trace for a user's mistake");
        if (bad.WritesNothing) Assert.That(Directory.Exists(scene.Out), Is.False, $"a refused run leaves nothing at --out\n{r}");
    }

    /// <summary>One bad input: the command line, the exit code and the words the message must contain.</summary>
    public sealed record BadInput(string Name, Func<Scene, IEnumerable<string>> Args, int Exit, params string[] Words)
    {
        /// <summary>True for a new run: its --out must not exist afterwards.</summary>
        public bool WritesNothing { get; init; }

        public override string ToString() => Name;
    }

    private const int Usage = ExitCodes.Usage, Error = ExitCodes.Error;

    private static BadInput Run(string name, Func<Scene, IEnumerable<string>> args, int exit, params string[] words) => new(name, args, exit, words) { WritesNothing = true };

    private static IEnumerable<TestCaseData> Cases() => All().Select(c => new TestCaseData(c).SetName($"Is_refused_clearly: {c.Name}"));

    private static IEnumerable<BadInput> All()
    {
        // Model files
        yield return new("model directory missing", s => s.Finetune("--model", s["nowhere"]), Error, s_Nowhere);
        yield return Run("model data file truncated", s => s.Finetune("--model", s.DamagedModel(d => Truncate(Path.Combine(d, "mlp.data"), 100))), Error, "mlp.data");
        yield return Run("model graph is not ONNX", s => s.Finetune("--model", s.DamagedModel(d => File.WriteAllText(Path.Combine(d, "mlp.onnx"), "not a protobuf"))), Error, "mlp.onnx");
        yield return Run("model card is not JSON", s => s.Finetune("--model", s.DamagedModel(d => File.WriteAllText(Path.Combine(d, "bszo-model.json"), "{ kind: "))), Error,
            "bszo-model.json", "not a valid model card");
        yield return Run("model weight is NaN", s => s.Finetune("--model", s.DamagedModel(d => Overwrite(Path.Combine(d, "mlp.data"), 0, BitConverter.GetBytes(float.NaN)))), Error,
            "w1", "NaN", "finite values");
        yield return Run("trainable name matches nothing", s => s.Finetune("--trainable", "w9"), Error, "No initializer named 'w9'", "bszo prepare --list");
        yield return Run("trainable pattern empty", s => s.Finetune("--trainable", ""), Error, "empty pattern", "--allow-suspicious");
        yield return new("prepare with an empty trainable pattern", s => ["prepare", "--model", s.Model, "--out", s.Out, "--trainable", " "], Error, "empty pattern", "--allow-suspicious");
        yield return Run("prepared weights changed on disk", s => s.Finetune("--model", s.CopyRun(r => FlipByte(Path.Combine(r, "prepared"), "weights.bin")) + "/prepared"), Error,
            "weights.bin", "is damaged: its SHA-256 differs", "prepare it again");
        yield return Run("prepared directory without manifest", s => s.Finetune("--prepared", Directory.CreateDirectory(s["prepared"]).FullName), Error,
            "manifest.json", "bszo prepare");

        // Data files
        yield return Run("data file missing", s => s.Finetune("--data", s["missing.csv"]), Error, "missing.csv", "does not exist");
        yield return Run("data file of unknown format", s => s.Finetune("--data", s.WriteText("data.txt", "a,b\n")), Error, "Cannot tell the format", "--data-format");
        yield return Run("data format unknown", s => s.Finetune("--data-format", "xml"), Usage, "--data-format must be one of", "jsonl", "found 'xml'");
        yield return Run("csv row with too few fields", s => s.Finetune("--data", s.EditedData(lines => lines[10] = "1,2,3")), Error, "line 11", "malformed", "9 fields");
        yield return Run("csv label the verbalizer lacks", s => s.Finetune("--data", s.EditedData(lines => lines[40] = lines[40][..lines[40].LastIndexOf(',')] + ",7")), Error,
            "Label '7'", "line 41");
        yield return Run("csv header repeats a column", s => s.Finetune("--data", s.EditedData(lines => lines[0] = lines[0].Replace("f1", "f0", StringComparison.Ordinal))), Error,
            "'f0' twice", "line 1");
        yield return Run("csv bare quote", s => s.Finetune("--data", s.EditedData(lines => lines[5] = "1,\"2,3")), Error, "line 6", "--no-quoting");
        yield return Run("data not UTF-8", s => s.Finetune("--data", s.EditedData(lines => lines[7] = "\u00FF" + lines[7], Encoding.Latin1)), Error, "line 8", "UTF-8");
        yield return Run("data file empty", s => s.Finetune("--data", s.WriteText("empty.csv", "")), Error, "no examples");
        yield return Run("csv header only", s => s.Finetune("--data", s.WriteText("header.csv", "f0,f1,f2,f3,f4,f5,f6,f7,label\n")), Error, "no examples");
        yield return Run("jsonl line not JSON", s => s.Finetune("--data", s.WriteText("d.jsonl", "{\"f0\": 1}\n{oops\n")), Error, "line 2", "malformed");
        yield return Run("jsonl line not an object", s => s.Finetune("--data", s.WriteText("d.jsonl", "[1, 2]\n")), Error, "line 1", "a JSON object");
        yield return Run("template field missing from data", s => s.Finetune("--template", "{f0} {f9}", "--allow-suspicious"), Error, "has no field 'f9'", "line 2");
        yield return Run("text field empty", s => s.Finetune("--data", s.EditedData(lines => lines[3] = ",0,0,0,0,0,0,0,1")), Error,
            "empty 'f0'", "line 4", "--allow-suspicious");
        yield return Run("training data of one class", s => s.Finetune("--data", s.EditedData(lines =>
        {
            for (int i = 1; i < lines.Count; i++) lines[i] = lines[i][..lines[i].LastIndexOf(',')] + ",1";
        })), Error, "same label ('1')", "--allow-suspicious");
        yield return Run("no header and no column names", s => s.Finetune("--no-header"), Error, "without a header", "--columns");
        yield return Run("both --data and --train", s => s.Finetune("--train", s.Data), Error, "Both --data and --train");
        yield return Run("rename without =", s => s.Finetune("--rename", "f0"), Error, "--rename 'f0'", "from=to");
        yield return Run("prompts that are not numbers", s => s.Finetune("--template", "{f0} x {f2}"), Error, "not a feature vector", "'x'");
        yield return Run("prompts with the wrong feature count", s => s.Finetune("--template", "{f0} {f1}"), Error, "do not fit graph input 'x'", "shape [batch, 8]");
        yield return Run("batch larger than the training split", s => s.Finetune("--batch-size", "241"), Error, "--batch-size 241", "240");
        yield return Run("split size zero", s => s.Finetune("--num-train", "0"), Usage, "--num-train must be ≥ 1");

        // Templates and verbalizers
        yield return Run("template brace never closed", s => s.Finetune("--template", "{f0 is"), Error, "cannot be parsed", "never closed");
        yield return Run("template unknown filter", s => s.Finetune("--template", "{f0|shout}"), Error, "unknown filter 'shout'");
        yield return Run("template without a field", s => s.Finetune("--template", "It was"), Error, "has no {field}", "--allow-suspicious");
        yield return Run("verbalizer not JSON", s => s.Finetune("--verbalizer", "{0: a}"), Error, "verbalizer is not valid JSON");
        yield return Run("verbalizer not an object", s => s.Finetune("--verbalizer", "[\" a\", \" b\"]"), Error, "must map each label value");
        yield return Run("verbalizer gives two labels one answer", s => s.Finetune("--verbalizer", """{"0":" a","1":" a","2":" c"}"""), Error,
            "labels '0' and '1' the same answer ' a'", "--allow-suspicious");
        yield return Run("verbalizer repeats a label", s => s.Finetune("--verbalizer", """{"0":" a","0":" b","2":" c"}"""), Error, "label '0' is listed twice");
        yield return Run("verbalizer empty answer", s => s.Finetune("--verbalizer", """{"0":"","1":" b","2":" c"}"""), Error, "label '0' to an empty answer");
        yield return Run("verbalizer of one class", s => s.Finetune("--verbalizer", """{"0":" a"}"""), Error, "at least two classes");
        yield return Run("data label missing from the verbalizer", s => s.Finetune("--verbalizer", """{"0":" a","1":" b"}"""), Error, "Label '2'", "not in the verbalizer");
        yield return Run("custom task without a verbalizer", s => s.Finetune().Where((_, i) => i is not (9 or 10)).ToList(), Error, "needs a prompt template and a verbalizer", "no --verbalizer");
        yield return Run("template given to a built-in task", s => s.Finetune("--task", "sst2"), Error, "apply to --task custom");
        yield return Run("task unknown", s => s.Finetune("--task", "sst3"), Error, "Unknown task 'sst3'", "sst2");

        // Numbers and names in options
        yield return Run("learning rate NaN", s => s.Finetune("--learning-rate", "NaN"), Usage, "--learning-rate must be a finite number", "bszo finetune --help");
        yield return Run("learning rate negative", s => s.Finetune("--learning-rate", "-1"), Usage, "--learning-rate must be > 0");
        yield return Run("learning rate zero", s => s.Finetune("--learning-rate", "0"), Usage, "--learning-rate must be > 0");
        yield return Run("learning rate not a number", s => s.Finetune("--learning-rate", "fast"), Usage, "'fast'", "as a number");
        yield return Run("epsilon Infinity", s => s.Finetune("--epsilon", "Infinity"), Usage, "--epsilon must be a finite number");
        yield return Run("weight decay NaN", s => s.Finetune("--weight-decay", "NaN"), Usage, "--weight-decay must be a finite number");
        yield return Run("weight decay negative", s => s.Finetune("--weight-decay", "-0.1"), Usage, "--weight-decay must be ≥ 0");
        yield return Run("clip zero", s => s.Finetune("--clip", "0"), Usage, "--clip must be > 0");
        yield return Run("steps zero", s => s.Finetune("--steps", "0"), Usage, "--steps must be ≥ 1");
        yield return Run("warmup negative", s => s.Finetune("--warmup", "-5"), Usage, "--warmup must be ≥ 0");
        yield return Run("threads zero", s => s.Finetune("--threads", "0"), Usage, "--threads must be ≥ 1");
        yield return Run("seed negative", s => s.Finetune("--seed", "-1"), Usage, "'-1'", "whole number ≥ 0");
        yield return Run("option misspelt", s => s.Finetune("--learning_rate", "0.1"), Usage, "'--learning_rate'", "did you mean --learning-rate?");
        yield return Run("optimizer unknown", s => s.Finetune("--optimizer", "adamw"), Error, "Unknown optimizer 'adamw'", "`bszo optimizers`");
        yield return Run("optimizer option unknown", s => s.Finetune("--optimizer-option", "bogus=1"), Error, "Unknown optimizer option 'bogus'", "directions");
        yield return Run("optimizer option without =", s => s.Finetune("--optimizer-option", "directions"), Error, "not of the form key=value");
        yield return Run("optimizer option NaN", s => s.Finetune("--optimizer", "bszo", "--optimizer-option", "prior-std=NaN"), Error, "'prior-std=NaN'", "a finite number");
        yield return Run("schedule unknown", s => s.Finetune("--schedule", "step"), Usage, "--schedule must be one of constant, linear, cosine; found 'step'");
        yield return Run("device unknown", s => s.Finetune("--device", "gpu"), Error, "Unknown device 'gpu'", "cuda:N");

        // Config files
        yield return Run("config file missing", s => s.Finetune("--config", s["run.yaml"]), Error, "run.yaml", "does not exist");
        yield return Run("config file not YAML", s => s.Finetune("--config", s.WriteText("run.yaml", "steps: [1,\n")), Error, "cannot be parsed", "YAML");
        yield return Run("config key unknown", s => s.Finetune("--config", s.WriteText("run.yaml", "stepz: 5\n")), Error, "unknown key 'stepz'", "steps");
        yield return Run("config value of the wrong type", s => s.Finetune("--config", s.WriteText("run.yaml", "eval-every: often\n")), Error, "'often'", "as a whole number");
        yield return Run("config value out of range", s => s.Finetune("--config", s.WriteText("run.json", "{\"weight-decay\": \"NaN\"}")), Error,
            "--weight-decay must be a finite number");
        yield return Run("config not a mapping", s => s.Finetune("--config", s.WriteText("run.yaml", "- steps\n- 5\n")), Error, "must hold a mapping");

        // Runs: new, resumed, and their directories
        yield return Run("resume a directory that holds no run", s => ["finetune", "--out", s.Out, "--resume"], Error, "holds no run to continue", "leave out --resume");
        yield return new("resume an empty directory", s => ["finetune", "--out", Directory.CreateDirectory(s.Out).FullName, "--resume"], Error, "holds no run to continue");
        yield return new("new run where a run is", s => s.Finetune("--out", s.CopyRun()), Error, "already holds a run", "--resume");
        yield return new("resume with another learning rate", s => ["finetune", "--out", s.CopyRun(), "--resume", "--learning-rate", "0.5"], Error,
            "settings differ", "learningRate");
        yield return new("resume with another model", s => ["finetune", "--out", s.CopyRun(), "--resume", "--model", FeatureModel.Write(s["other-model"], seed: 2)], Error,
            "prepared from another model", "--model");
        yield return new("resume a damaged checkpoint", s => ["finetune", "--out", s.CopyRun(r => FlipByte(Newest(Path.Combine(r, "checkpoints")), "weights.bin")), "--resume"], Error,
            "damaged", "delete this checkpoint directory");
        yield return new("resume a log shorter than its checkpoints", s => ["finetune", "--out", s.CopyRun(r => KeepLines(Path.Combine(r, "trajectory.jsonl"), 5)), "--resume"], Error,
            "newer than the trajectory log");
        yield return new("resume a damaged config", s => ["finetune", "--out", s.CopyRun(r => File.WriteAllText(Path.Combine(r, "config.json"), "{\"options\":")), "--resume"], Error,
            "config.json", "damaged");
        yield return new("run directory is a file", s => s.Finetune("--out", s.Data), Error, "is a file", "another --out");

        // Eval
        yield return new("eval without --run or --model", s => ["eval"], Error, "exactly one of --run and --model", "neither");
        yield return new("eval a directory that is not a run", s => ["eval", "--run", s["nowhere"]], Error, "is not a run directory", "no such directory");
        yield return new("eval damaged best weights", s => ["eval", "--run", s.CopyRun(r => FlipByte(Newest(Path.Combine(r, "best")), "weights.bin"))], Error,
            "best weights (step", "damaged", "--from-log");
        yield return new("eval without best.json", s => ["eval", "--run", s.CopyRun(r => File.Delete(Path.Combine(r, "best.json")))], Error,
            "has no best weights", "--weights final");
        yield return new("eval with best/ deleted", s => ["eval", "--run", s.CopyRun(r => Directory.Delete(Path.Combine(r, "best"), recursive: true))], Error,
            "best weights are missing", "--weights final");
        yield return new("eval damaged best.json", s => ["eval", "--run", s.CopyRun(r => File.WriteAllText(Path.Combine(r, "best.json"), "{\"step\": "))], Error,
            "best.json", "not valid JSON");
        yield return new("eval with another template", s => ["eval", "--run", s.Run, "--template", "{f1}"], Error, "--template cannot change with --run", "bszo export");
        yield return new("eval of an unknown split", s => ["eval", "--run", s.Run, "--split", "train"], Usage, "--split must be one of test, dev; found 'train'");
        yield return new("eval of unknown weights", s => ["eval", "--run", s.Run, "--weights", "latest"], Usage, "--weights must be one of best, final, base; found 'latest'");
        yield return new("eval a model with --weights", s => ["eval", "--model", s.Model, "--weights", "final"], Error, "--weights applies to --run");

        // Export
        yield return new("export without --run", s => ["export", "--out", s.Out], Usage, "'--run' is required");
        yield return new("export onto a directory with files", s => ["export", "--run", s.Run, "--out", s.Model], Error, "already exists", "--force");
        yield return new("export onto a file", s => ["export", "--run", s.Run, "--out", s.Data], Error, "is a file");
        yield return new("export damaged best weights", s => ["export", "--run", s.CopyRun(r => FlipByte(Newest(Path.Combine(r, "best")), "weights.bin")), "--out", s.Out], Error,
            "damaged", "--from-log");
        yield return new("export the base weights", s => ["export", "--run", s.Run, "--weights", "base", "--out", s.Out], Usage, "--weights must be one of best, final; found 'base'");
        yield return new("export from a moved source model", s => ["export", "--run", s.CopyRun(r => MoveSource(r, s["moved/mlp.onnx"])), "--out", s.Out], Error,
            "moved", "is gone", "bszo prepare");
    }

    private static readonly string[] s_Nowhere = ["nowhere"];

    /// <summary>The model, data and finished run every case may read (never change).</summary>
    public sealed class Workspace : IDisposable
    {
        private readonly TempDirectory _temp = new();

        public Workspace()
        {
            Model = FeatureModel.Write(_temp["model"]);
            Data = FeatureModel.WriteBlobs(_temp["data.csv"], 400, seed: 3);
            Run = _temp["run"];
            var r = CliRunner.Run(FeatureModel.FinetuneArgs(Model, Data, Run, 60, "--learning-rate", "2e-2", "--eval-every", "20", "--quiet", "--no-plots"));
            if (r.ExitCode != 0 || JsonNode.Parse(File.ReadAllText(_temp["run/best.json"]))!["directory"] is null)
            {
                throw new InvalidOperationException($"the shared run should finish with best weights past step 0\n{r}");
            }
        }

        public string Model { get; }

        public string Data { get; }

        public string Run { get; }

        public void Dispose() => _temp.Dispose();
    }

    /// <summary>One case's own directory, and the shared files.</summary>
    public sealed class Scene : IDisposable
    {
        private readonly TempDirectory _temp = new();
        private readonly Workspace _shared;

        internal Scene(Workspace shared) => _shared = shared;

        public string this[string relative] => _temp[relative];

        /// <summary>The shared model directory.</summary>
        public string Model => _shared.Model;

        /// <summary>The shared data file (400 rows).</summary>
        public string Data => _shared.Data;

        /// <summary>The shared finished run (60 steps, best weights past step 0).</summary>
        public string Run => _shared.Run;

        /// <summary>The --out of a new run (not created).</summary>
        public string Out => _temp["out"];

        /// <summary>`bszo finetune` on the tiny model and data, 5 steps into <see cref="Out"/>; <paramref name="extra"/> replaces options of the same name.</summary>
        public List<string> Finetune(params string[] extra) => FeatureModel.FinetuneArgs(_shared.Model, _shared.Data, Out, 5, [.. extra, "--quiet", "--no-plots"]);

        public string WriteText(string name, string text)
        {
            File.WriteAllText(_temp[name], text);
            return _temp[name];
        }

        /// <summary>The shared data with its lines edited, written in <paramref name="encoding"/> (UTF-8 by default).</summary>
        public string EditedData(Action<List<string>> edit, Encoding? encoding = null)
        {
            var lines = File.ReadAllLines(_shared.Data).ToList();
            edit(lines);
            File.WriteAllText(_temp["data.csv"], string.Join('\n', lines) + "\n", encoding ?? new UTF8Encoding(false));
            return _temp["data.csv"];
        }

        /// <summary>A copy of the model directory, damaged by <paramref name="damage"/>.</summary>
        public string DamagedModel(Action<string> damage)
        {
            var copy = CopyDirectory(_shared.Model, _temp["model"]);
            damage(copy);
            return copy;
        }

        /// <summary>A private copy of the finished run, changed by <paramref name="change"/>.</summary>
        public string CopyRun(Action<string>? change = null)
        {
            var copy = CopyDirectory(_shared.Run, _temp["run"]);
            change?.Invoke(copy);
            return copy;
        }

        public void Dispose() => _temp.Dispose();
    }

    private static string CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var dir in Directory.GetDirectories(from)) CopyDirectory(dir, Path.Combine(to, Path.GetFileName(dir)));
        return to;
    }

    private static string Newest(string parent) => Directory.GetDirectories(parent, "step_*").OrderBy(d => d, StringComparer.Ordinal).Last();

    /// <summary>Flips the low bit of one mantissa byte: the weights stay finite numbers, only their checksum tells.</summary>
    private static void FlipByte(string directory, string file)
    {
        var path = Path.Combine(directory, file);
        var bytes = File.ReadAllBytes(path);
        bytes[64] ^= 0x01;
        File.WriteAllBytes(path, bytes);
    }

    private static void Overwrite(string path, long offset, byte[] bytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        stream.Position = offset;
        stream.Write(bytes);
    }

    private static void Truncate(string path, long length)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        stream.SetLength(length);
    }

    private static void KeepLines(string path, int lines) => File.WriteAllLines(path, File.ReadLines(path).Take(lines).ToList());

    private static void MoveSource(string run, string to)
    {
        var manifest = Path.Combine(run, "prepared", "manifest.json");
        var json = JsonNode.Parse(File.ReadAllText(manifest))!;
        json["sourceModel"] = to;
        File.WriteAllText(manifest, json.ToJsonString());
        var config = Path.Combine(run, "config.json");
        var c = JsonNode.Parse(File.ReadAllText(config))!;
        c["resolved"]!["prepared"] = Path.Combine(run, "prepared");
        File.WriteAllText(config, c.ToJsonString());
    }
}
