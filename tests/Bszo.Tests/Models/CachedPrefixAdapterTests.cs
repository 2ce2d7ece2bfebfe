using Bszo.Models.Adapters;
using Bszo.Models.Data;
using Bszo.Models.Tasks;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;
using Bszo.Tests.Support;

namespace Bszo.Tests.Models;

public class CachedPrefixAdapterTests
{
    /// <summary>Delegates to a real adapter and counts its collations.</summary>
    private sealed class Counting(ModelAdapter inner) : ModelAdapter(inner.Card)
    {
        public int Collations { get; private set; }

        public override string Kind => inner.Kind;

        public override string? ClassLogitsOutput => inner.ClassLogitsOutput;

        public override LossHead CreateLossHead() => inner.CreateLossHead();

        public override TensorBatch Collate(IReadOnlyList<PromptedExample> examples)
        {
            Collations++;
            return inner.Collate(examples);
        }

        public override int[] Predict(TrainingGraphSession session, IReadOnlyList<PromptedExample> examples) => inner.Predict(session, examples);
    }

    [Test]
    public void Filled_examples_are_collated_from_stored_rows_alone_with_the_inner_adapters_values()
    {
        using var temp = new TempDirectory();
        var card = ModelCard.Load(FeatureModel.Write(temp["model"]));
        var inner = new Counting(ModelAdapters.Create(card));
        var prepared = TrainingModelBuilder.Prepare(card.Resolve(card.Model), temp["prepared"], new PrepareOptions { Loss = inner.CreateLossHead(), Trainable = ["w2", "b2"] });
        var task = VerbalizedTask.Custom(FeatureModel.Template, FeatureModel.Verbalizer);
        var data = TaskData.Load(task, new DataSource { Data = FeatureModel.WriteBlobs(temp["d.csv"], 100, 2) }, new SamplingOptions { Train = 40, Dev = 10, Test = 10 });

        using var prefix = FrozenPrefix.TryOpen(prepared, new SessionSettings { IntraOpThreads = 1 }, out var reason)!;
        Assert.That(prefix, Is.Not.Null, reason);
        var adapter = CachedPrefixAdapter.Create(inner, prefix, out reason)!;
        Assert.That(adapter.TryFill(data.Train, chunkSize: 7, out reason), reason);
        adapter.ReleasePrefix();
        int afterFill = inner.Collations;
        Assert.That(afterFill, Is.EqualTo(6), "40 examples, 7 per prefix run");
        Assert.That(adapter.CachedExamples, Is.EqualTo(40));

        var picked = new[] { data.Train[3], data.Train[39], data.Train[0] };
        using var batch = adapter.Collate(picked);
        Assert.That(inner.Collations, Is.EqualTo(afterFill), "no tokenizing or parsing once rows are stored");
        using var reference = inner.Collate(picked);
        Assert.That(batch.Values.Select(v => v.Name), Is.EquivalentTo(new[] { "labels", prefix.Boundary.Single().Name }));
        var stored = batch.Values.Single(v => v.Name == prefix.Boundary[0].Name).Value.GetTensorDataAsSpan<float>().ToArray();
        Assert.That(stored, Is.EqualTo(prefix.Run(reference)[0].Values).Within(1e-6), "the rows the prefix gives for this very batch");
        var labels = batch.Values.Single(v => v.Name == "labels").Value.GetTensorDataAsSpan<long>().ToArray();
        Assert.That(labels, Is.EqualTo(reference.Values.Single(v => v.Name == "labels").Value.GetTensorDataAsSpan<long>().ToArray()));
        Assert.Throws<InvalidOperationException>(() => adapter.Collate([data.Test[0]]), "an example never filled cannot be collated once the prefix is released");
    }
}
