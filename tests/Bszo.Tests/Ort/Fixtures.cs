using Bszo.Ort.Graph;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;
using Bszo.Tests.Support;

namespace Bszo.Tests.Ort;

/// <summary>A prepared MLP classifier with a loaded store, a session and a synthetic dataset.</summary>
internal sealed class MlpFixture : IDisposable
{
    public const int Inputs = 8, Classes = 3;

    public MlpFixture(int seed = 1, SweepOptions? sweep = null, IReadOnlyList<string>? trainable = null)
    {
        Source = TestModels.Mlp(Temp["src"], Inputs, 16, Classes, seed);
        Prepared = TrainingModelBuilder.Prepare(Source, Temp["prepared"], new PrepareOptions
        {
            Loss = ClassificationLossHead.Create("logits"),
            Trainable = trainable ?? [],
        });
        Store = WeightStore.Load(Prepared);
        Session = TrainingGraphSession.Create(Prepared, Store, new SessionSettings { IntraOpThreads = 1 });
        Sweep = new PerturbationSweep(Store, sweep);
    }

    public TempDirectory Temp { get; } = new();

    public string Source { get; }

    public PreparedModel Prepared { get; }

    public WeightStore Store { get; }

    public TrainingGraphSession Session { get; }

    public PerturbationSweep Sweep { get; }

    /// <summary>Gaussian blobs: class k centred at 2·e_k, unit noise; a learnable, non-trivial task.</summary>
    public static TensorBatch Blobs(int examples, int seed)
    {
        var rng = new Random(seed);
        var x = TestModels.Randn(rng, examples * Inputs, 1f);
        var labels = new long[examples];
        for (int i = 0; i < examples; i++)
        {
            labels[i] = rng.Next(Classes);
            x[i * Inputs + (int)labels[i]] += 2f;
        }
        return new TensorBatch(examples).Add("x", x, examples, Inputs).Add("labels", labels, examples);
    }

    public void Dispose()
    {
        Session.Dispose();
        Store.Dispose(); // last: the session borrowed its buffers
        Temp.Dispose();
    }
}
