using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Bszo.Cluster.Data;
using Bszo.Ort.Graph;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Perturbation;

namespace Bszo.Cluster.Training;

/// <summary>
/// What every worker of a run must agree on: the optimizer and its options (run seed and step count
/// included), the minibatch rule, and how often weights are compared and snapshotted. The coordinator
/// holds it and hands it to each worker as JSON when the worker connects.
/// </summary>
public sealed record ClusterTrainingSpec
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>Optimizer options: <see cref="MezoOptions"/>, <see cref="BszoOptions"/> or <see cref="SubZeroOptions"/>. Their <c>TotalSteps</c> is the run's length.</summary>
    public required OptimizerOptions Optimizer { get; init; }

    /// <summary>How each step's minibatch is drawn.</summary>
    public MinibatchOptions Minibatch { get; init; } = new();

    /// <summary>Weight checksums are compared across workers at every step that is a multiple of this (and at the end).</summary>
    public int ChecksumEvery { get; init; } = 10;

    /// <summary>Workers save a local weight snapshot at every step that is a multiple of this, to rejoin from.</summary>
    public int SnapshotEvery { get; init; } = 100;

    /// <summary>Name patterns (<see cref="NameGlob"/>) of the tensors weight decay applies to.</summary>
    public IReadOnlyList<string> DecayPatterns { get; init; } = [];

    /// <summary>Steps of the run.</summary>
    public long Steps => Optimizer.TotalSteps;

    /// <summary>Whether workers send, and the coordinator compares, weight checksums at the start of <paramref name="step"/>.</summary>
    public bool IsChecksumStep(long step) => step % ChecksumEvery == 0 || step >= Steps;

    /// <summary>Checks the values; throws <see cref="BszoException"/> naming the bad one.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Optimizer);
        if (Optimizer is not (MezoOptions or BszoOptions or SubZeroOptions))
        {
            Fail("optimizer", "MezoOptions, BszoOptions or SubZeroOptions", Optimizer.GetType().Name);
        }
        Optimizer.Validate();
        Minibatch.Validate();
        if (ChecksumEvery <= 0) Fail("checksum interval", "> 0", ChecksumEvery.ToString(CultureInfo.InvariantCulture));
        if (SnapshotEvery <= 0) Fail("snapshot interval", "> 0", SnapshotEvery.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Creates the optimizer this spec describes over <paramref name="sweep"/>, with weight decay applied to <see cref="DecayPatterns"/>.</summary>
    public ZerothOrderOptimizer CreateOptimizer(PerturbationSweep sweep)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        if (DecayPatterns.Count > 0)
        {
            var glob = NameGlob.Create(DecayPatterns);
            sweep.SetDecayable(glob.Matches);
        }
        return Optimizer switch
        {
            MezoOptions m => MezoOptimizer.Create(sweep, m),
            BszoOptions b => BszoOptimizer.Create(sweep, b),
            SubZeroOptions z => SubZeroOptimizer.Create(sweep, z),
            _ => throw new InvalidOperationException("Validate() admits only MeZO, BSZO and SubZero options."),
        };
    }

    /// <summary>The spec as JSON (doubles round-trip exactly).</summary>
    public string ToJson()
    {
        var node = new JsonObject
        {
            ["method"] = Optimizer switch { MezoOptions => "mezo", SubZeroOptions => "subzero", _ => "bszo" },
            ["optimizer"] = JsonSerializer.SerializeToNode(Optimizer, Optimizer.GetType(), Json),
            ["minibatch"] = JsonSerializer.SerializeToNode(Minibatch, Json),
            ["checksumEvery"] = ChecksumEvery,
            ["snapshotEvery"] = SnapshotEvery,
            ["decayPatterns"] = new JsonArray([.. DecayPatterns.Select(p => (JsonNode?)p)]),
        };
        return node.ToJsonString();
    }

    /// <summary>Reads a spec written by <see cref="ToJson"/>.</summary>
    public static ClusterTrainingSpec FromJson(string json)
    {
        try
        {
            var node = JsonNode.Parse(json)!.AsObject();
            var method = (string?)node["method"];
            var optimizerNode = node["optimizer"];
            OptimizerOptions optimizer = method switch
            {
                "mezo" => optimizerNode.Deserialize<MezoOptions>(Json)!,
                "bszo" => optimizerNode.Deserialize<BszoOptions>(Json)!,
                "subzero" => optimizerNode.Deserialize<SubZeroOptions>(Json)!,
                _ => throw new BszoException(BszoException.Format("The run's optimizer is not known to this worker.", "mezo, bszo or subzero", method ?? "none",
                    "run the same Bszo version on the coordinator and every worker.")),
            };
            var spec = new ClusterTrainingSpec
            {
                Optimizer = optimizer,
                Minibatch = node["minibatch"].Deserialize<MinibatchOptions>(Json) ?? new(),
                ChecksumEvery = (int?)node["checksumEvery"] ?? 10,
                SnapshotEvery = (int?)node["snapshotEvery"] ?? 100,
                DecayPatterns = node["decayPatterns"]?.AsArray().Select(p => (string?)p ?? "").ToList() ?? [],
            };
            spec.Validate();
            return spec;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException)
        {
            throw new BszoException(BszoException.Format("The run specification from the coordinator cannot be read.", found: e.Message,
                hint: "run the same Bszo version on the coordinator and every worker."), e);
        }
    }

    private static void Fail(string option, string expected, string found) =>
        throw new BszoException(BszoException.Format($"Invalid cluster option: {option}.", expected, found));
}
