using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Bszo.Ort;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Perturbation;

namespace Bszo.Models.Training;

/// <summary>
/// What a run trains, resolved once: the optimizer and its options (learning rate, ε, run seed,
/// schedule and step count included), the distribution of its directions, the batch size, the seed of
/// the batch order, and whether forward passes may run over cached frozen-prefix rows.
/// </summary>
/// <remarks>
/// Every process that takes part in a run builds its optimizer (<see cref="CreateOptimizer"/>), its
/// batch order (<see cref="Batches"/>) and its weight-decay rule from this one record, so a
/// single-process run and every worker of a cluster run follow the same trajectory. Its JSON is part
/// of the trajectory header: a resume, a replay and a joining worker are checked against it.
/// </remarks>
[JsonConverter(typeof(RunSpecJsonConverter))]
public sealed record RunSpec
{
    /// <summary>The optimizer's name in the <see cref="OptimizerCatalog"/>.</summary>
    public required string Optimizer { get; init; }

    /// <summary>The optimizer's resolved options (its <c>TotalSteps</c> is the run's length).</summary>
    public required OptimizerOptions Options { get; init; }

    /// <summary>Optimizer steps of the run.</summary>
    public long Steps => Options.TotalSteps;

    /// <summary>
    /// The distribution of every perturbation direction (<c>--noise</c>): Gaussian, as the methods are
    /// published, or Rademacher. Every sweep of the run draws it.
    /// </summary>
    public NoiseKind Noise { get; init; } = NoiseKind.Gaussian;

    /// <summary>Examples per step (MeZO: 16).</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Seed of the batch order (the batch of step t depends only on it and t).</summary>
    public ulong DataSeed { get; init; }

    /// <summary>
    /// When only the last part of the graph depends on trainable weights, compute the frozen rest
    /// once per example and run only the trainable tail on every forward pass (see <see cref="PrefixCaching"/>).
    /// </summary>
    public bool CacheFrozenPrefix { get; init; } = true;

    /// <summary>
    /// What each forward pass hands the optimizer (<see cref="TrainingObjectives"/>): the graph's loss, or
    /// minus the task's score of the step's batch ("accuracy", "f1"). Losses and batch scores are different
    /// trajectories, so the objective is part of the spec.
    /// </summary>
    public string Objective { get; init; } = TrainingObjectives.Loss;

    /// <summary>
    /// The spec of a run of <paramref name="steps"/> steps with optimizer <paramref name="optimizer"/>: its
    /// defaults, then <paramref name="overrides"/> (<c>key=value</c>, as <c>--optimizer-option</c> and the
    /// common options give them), validated.
    /// </summary>
    public static RunSpec Create(string optimizer, long steps, IEnumerable<KeyValuePair<string, string>> overrides, int batchSize = 16, ulong dataSeed = 0,
        bool cacheFrozenPrefix = true, string objective = TrainingObjectives.Loss, NoiseKind noise = NoiseKind.Gaussian)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        var descriptor = OptimizerCatalog.Get(optimizer);
        var options = descriptor.Configure([.. overrides, new(nameof(OptimizerOptions.TotalSteps), steps.ToString(CultureInfo.InvariantCulture))]);
        var spec = new RunSpec
        {
            Optimizer = descriptor.Name, Options = options, Noise = noise, BatchSize = batchSize, DataSeed = dataSeed, CacheFrozenPrefix = cacheFrozenPrefix,
            Objective = objective,
        };
        spec.Validate();
        return spec;
    }

    /// <summary>Checks the values; throws <see cref="BszoException"/> naming the bad one.</summary>
    public void Validate()
    {
        var descriptor = OptimizerCatalog.Get(Optimizer);
        if (!descriptor.OptionsType.IsInstanceOfType(Options))
        {
            Throw.Bszo($"The run's '{Optimizer}' optimizer was given options of another method.",
                descriptor.OptionsType.Name, Options.GetType().Name);
        }
        Options.Validate();
        if (BatchSize < 1) Throw.Bszo("Invalid value for --batch-size.", "≥ 1", BatchSize.ToString(CultureInfo.InvariantCulture));
        if (!TrainingObjectives.Names.Contains(Objective))
        {
            Throw.Bszo($"Unknown training objective '{Objective}'.", string.Join(", ", TrainingObjectives.Names), Objective);
        }
    }

    /// <summary>
    /// The run's optimizer over the weights <paramref name="mutator"/> sweeps, with the run's weight-decay rule
    /// (<see cref="WeightDecay"/>). The caller owns the optimizer and disposes it before the store.
    /// </summary>
    public ZerothOrderOptimizer CreateOptimizer(IWeightMutator mutator)
    {
        ArgumentNullException.ThrowIfNull(mutator);
        var descriptor = OptimizerCatalog.Get(Optimizer);
        mutator.SetDecayable(WeightDecay.AppliesTo);
        return descriptor.CreateOptimizer(mutator, Options);
    }

    /// <summary>The run's batch order over <paramref name="exampleCount"/> training examples.</summary>
    public BatchSchedule Batches(int exampleCount) => new(exampleCount, BatchSize, DataSeed);

    /// <summary>
    /// The spec as JSON (doubles round-trip exactly). The noise is written only when it is not Gaussian and
    /// the objective only when it is not the loss, so the headers of other runs stay as they were.
    /// </summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["optimizer"] = Optimizer,
            ["options"] = OptimizerOptionsJson.Describe(Options),
            ["batchSize"] = BatchSize,
            ["dataSeed"] = DataSeed,
            ["cacheFrozenPrefix"] = CacheFrozenPrefix,
        };
        if (Noise != NoiseKind.Gaussian) json["noise"] = NoiseKinds.Name(Noise);
        if (Objective != TrainingObjectives.Loss) json["objective"] = Objective;
        return json;
    }

    /// <summary>Reads a spec written by <see cref="ToJson"/>, validated; <paramref name="source"/> names where it came from in errors.</summary>
    public static RunSpec FromJson(JsonObject json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            var optimizer = (string?)json["optimizer"] ?? throw new InvalidOperationException("no optimizer name");
            var options = json["options"] as JsonObject ?? throw new InvalidOperationException("no optimizer options");
            var spec = new RunSpec
            {
                Optimizer = optimizer,
                Options = OptimizerCatalog.Get(optimizer).ReadOptions(options),
                BatchSize = (int?)json["batchSize"] ?? 16,
                DataSeed = (ulong?)json["dataSeed"] ?? 0,
                CacheFrozenPrefix = (bool?)json["cacheFrozenPrefix"] ?? true,
                Noise = (string?)json["noise"] is { } noise ? NoiseKinds.Parse(noise, source) : NoiseKind.Gaussian,
                Objective = (string?)json["objective"] ?? TrainingObjectives.Loss,
            };
            spec.Validate();
            return spec;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            return Throw.Bszo<RunSpec>(e, $"The run specification in {source} cannot be read.", "optimizer, options, batchSize, dataSeed", e.Message,
                "it was written by another version of Bszo; start a new run.");
        }
    }

    /// <summary>Reads and writes a spec as its <see cref="ToJson"/> form (config.json).</summary>
    private sealed class RunSpecJsonConverter : JsonConverter<RunSpec>
    {
        public override RunSpec Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            FromJson(JsonNode.Parse(ref reader)?.AsObject() ?? throw new JsonException("A run specification is null."), "a configuration file");

        public override void Write(Utf8JsonWriter writer, RunSpec value, JsonSerializerOptions options) => value.ToJson().WriteTo(writer, options);
    }
}
