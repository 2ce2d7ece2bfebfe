using System.Reflection;
using Bszo.Ort.Graph;
using Bszo.Ort.Perturbation;

namespace Bszo.Ort.Optimizers;

/// <summary>
/// One entry of the <see cref="OptimizerCatalog"/>: a method's command-line name, what it is, where it
/// comes from, its default options, and how to create it.
/// </summary>
public sealed class OptimizerDescriptor
{
    private readonly Func<OptimizerOptions> _defaults;
    private readonly Func<IWeightMutator, OptimizerOptions, ZerothOrderOptimizer> _create;
    private readonly Func<WeightManifest, OptimizerOptions, long> _stateBytes;

    private OptimizerDescriptor(string name, string description, string source, Type optionsType, Func<OptimizerOptions> defaults,
        Func<IWeightMutator, OptimizerOptions, ZerothOrderOptimizer> create, Func<WeightManifest, OptimizerOptions, long> stateBytes, bool runsOnDevice)
    {
        Name = name;
        RunsOnDevice = runsOnDevice;
        Description = description;
        Source = source;
        OptionsType = optionsType;
        _defaults = defaults;
        _create = create;
        _stateBytes = stateBytes;
    }

    /// <summary>The command-line name (e.g. "mezo").</summary>
    public string Name { get; }

    /// <summary>One line: what the method does.</summary>
    public string Description { get; }

    /// <summary>Paper and code the implementation follows.</summary>
    public string Source { get; }

    /// <summary>The options record type the method takes.</summary>
    public Type OptionsType { get; }

    /// <summary>
    /// Whether the method works on weights held by an execution device (<see cref="Device.DeviceSweep"/>): it
    /// touches the weights only through fused sweeps. Methods with per-element state or low-rank bases need host memory.
    /// </summary>
    public bool RunsOnDevice { get; }

    /// <summary>
    /// Describes a method that needs the weights in host memory (a <see cref="PerturbationSweep"/>).
    /// <paramref name="defaults"/> returns the method's default options (a new record each call);
    /// <paramref name="stateBytes"/>, if given, estimates the optimizer state for a model before any
    /// memory is allocated (0 when omitted).
    /// </summary>
    public static OptimizerDescriptor Create<TOptions>(string name, string description, string source, Func<TOptions> defaults,
        Func<PerturbationSweep, TOptions, ZerothOrderOptimizer> create, Func<WeightManifest, TOptions, long>? stateBytes = null)
        where TOptions : OptimizerOptions
    {
        ArgumentNullException.ThrowIfNull(create);
        return Describe(name, description, source, defaults, (mutator, options) => create(HostSweep(name, mutator), options), stateBytes, runsOnDevice: false);
    }

    /// <summary>Describes a method that mutates the weights only through fused sweeps, so it runs wherever they live (host or device).</summary>
    public static OptimizerDescriptor CreateForAnyWeights<TOptions>(string name, string description, string source, Func<TOptions> defaults,
        Func<IWeightMutator, TOptions, ZerothOrderOptimizer> create, Func<WeightManifest, TOptions, long>? stateBytes = null)
        where TOptions : OptimizerOptions =>
        Describe(name, description, source, defaults, create, stateBytes, runsOnDevice: true);

    private static OptimizerDescriptor Describe<TOptions>(string name, string description, string source, Func<TOptions> defaults,
        Func<IWeightMutator, TOptions, ZerothOrderOptimizer> create, Func<WeightManifest, TOptions, long>? stateBytes, bool runsOnDevice)
        where TOptions : OptimizerOptions
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(defaults);
        ArgumentNullException.ThrowIfNull(create);
        return new OptimizerDescriptor(name, description, source, typeof(TOptions), defaults,
            (mutator, options) => create(mutator, Cast<TOptions>(name, options)),
            (manifest, options) => stateBytes?.Invoke(manifest, Cast<TOptions>(name, options)) ?? 0, runsOnDevice);
    }

    private static PerturbationSweep HostSweep(string name, IWeightMutator mutator) =>
        mutator as PerturbationSweep ?? Throw.Bszo<PerturbationSweep>($"The '{name}' optimizer needs the weights in host memory.",
            "weights swept on the host (--sweep host, --device cpu)", $"weights on an execution device ({mutator.GetType().Name})",
            $"use {string.Join(", ", OptimizerCatalog.All.Where(d => d.RunsOnDevice).Select(d => d.Name))} with weights on a device, or train on the host.");

    /// <summary>A fresh copy of the method's default options.</summary>
    public OptimizerOptions DefaultOptions() => _defaults();

    /// <summary>The defaults with <c>key=value</c> overrides applied (see <see cref="OptimizerOptionsJson.Apply"/>).</summary>
    public OptimizerOptions Configure(IEnumerable<KeyValuePair<string, string>> overrides) => OptimizerOptionsJson.Apply(DefaultOptions(), overrides);

    /// <summary>Options written by <see cref="OptimizerOptionsJson.Describe"/> for this method (a trajectory header, a run's spec), validated.</summary>
    public OptimizerOptions ReadOptions(System.Text.Json.Nodes.JsonObject json) => OptimizerOptionsJson.Read(json, OptionsType);

    /// <summary>
    /// Creates the optimizer over the weights <paramref name="mutator"/> sweeps, with <paramref name="options"/>
    /// (default: <see cref="DefaultOptions"/>). The caller owns the result and disposes it before the store;
    /// a method that needs host memory refuses a device's weights (see <see cref="RunsOnDevice"/>).
    /// </summary>
    public ZerothOrderOptimizer CreateOptimizer(IWeightMutator mutator, OptimizerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(mutator);
        return _create(mutator, options ?? DefaultOptions());
    }

    /// <summary>Bytes of optimizer state the method would hold for <paramref name="manifest"/>'s trainable tensors.</summary>
    public long EstimateStateBytes(WeightManifest manifest, OptimizerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return _stateBytes(manifest, options ?? DefaultOptions());
    }

    /// <summary>
    /// The defaults worth showing in <c>--help</c>: learning rate, ε, weight decay if set, and every
    /// option the method adds to the shared ones.
    /// </summary>
    public string DefaultsSummary
    {
        get
        {
            var defaults = DefaultOptions();
            var own = OptionsType.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                .Where(p => p.CanWrite)
                .Select(p => JsonName(p.Name));
            var shared = defaults.WeightDecay != 0 ? new[] { "learningRate", "epsilon", "weightDecay" } : ["learningRate", "epsilon"];
            return OptimizerOptionsJson.Summarize(defaults, shared.Concat(own));
        }
    }

    private static string JsonName(string property) => char.ToLowerInvariant(property[0]) + property[1..];

    private static TOptions Cast<TOptions>(string name, OptimizerOptions options)
        where TOptions : OptimizerOptions =>
        options as TOptions ?? Throw.Bszo<TOptions>($"Options of type {options.GetType().Name} were given to the '{name}' optimizer.",
            typeof(TOptions).Name, options.GetType().Name, "start from the descriptor's DefaultOptions() and change what you need.");
}
