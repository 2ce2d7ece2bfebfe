using Bszo.Models.Adapters;
using Bszo.Models.Data;
using Bszo.Models.Training;
using Bszo.Ort;

namespace Bszo.Tests.Models;

public class SamplingTests
{
    private static List<PromptedExample> Pool(int n, int classes = 2) =>
        Enumerable.Range(0, n).Select(i => new PromptedExample($"example {i}", ["a", "b", "c"], i % classes)).ToList();

    [Test]
    public void Mezo_protocol_draws_disjoint_seeded_splits_of_the_requested_sizes()
    {
        var pool = Pool(4000);
        var a = SplitSampler.Sample(pool, null, null, new SamplingOptions { Seed = 0 }, "test");
        Assert.That((a.Train.Count, a.Dev.Count, a.Test.Count), Is.EqualTo((1000, 500, 1000)));
        var all = a.Train.Concat(a.Dev).Concat(a.Test).Select(e => e.Prompt).ToList();
        Assert.That(all.Distinct().Count(), Is.EqualTo(all.Count), "splits do not overlap");

        var again = SplitSampler.Sample(pool, null, null, new SamplingOptions { Seed = 0 }, "test");
        Assert.That(again.Train.Select(e => e.Prompt), Is.EqualTo(a.Train.Select(e => e.Prompt)));
        var other = SplitSampler.Sample(pool, null, null, new SamplingOptions { Seed = 1 }, "test");
        Assert.That(other.Train.Select(e => e.Prompt), Is.Not.EqualTo(a.Train.Select(e => e.Prompt)));
    }

    [Test]
    public void A_small_pool_shrinks_every_split_in_proportion()
    {
        var s = SplitSampler.Sample(Pool(250), null, null, new SamplingOptions(), "small");
        Assert.That((s.Train.Count, s.Dev.Count, s.Test.Count), Is.EqualTo((100, 50, 100)));
    }

    [Test]
    public void Separate_files_feed_dev_and_test()
    {
        var s = SplitSampler.Sample(Pool(50), Pool(30), Pool(20), new SamplingOptions(), "files");
        Assert.That((s.Train.Count, s.Dev.Count, s.Test.Count), Is.EqualTo((50, 30, 20)));
    }

    [Test]
    public void K_shot_sampling_takes_k_per_class_for_train_and_dev()
    {
        var s = SplitSampler.Sample(Pool(300, classes: 3), null, null, new SamplingOptions { KPerClass = 16, Test = 100 }, "kshot");
        Assert.That(s.Train.GroupBy(e => e.Label).Select(g => g.Count()), Is.All.EqualTo(16));
        Assert.That(s.Dev.GroupBy(e => e.Label).Select(g => g.Count()), Is.All.EqualTo(16));
        Assert.That(s.Train.Count, Is.EqualTo(48));
        Assert.That(s.Train.Intersect(s.Dev).Any(), Is.False);
        Assert.That(s.Test, Has.Count.EqualTo(100));
    }

    [Test]
    public void An_empty_split_is_an_error()
    {
        var e = Assert.Throws<BszoException>(() => SplitSampler.Sample(Pool(2), null, null, new SamplingOptions(), "tiny.csv"))!;
        Assert.That(e.Message, Does.Contain("split of tiny.csv is empty"));
        Assert.That(Assert.Throws<BszoException>(() => SplitSampler.Sample([], null, null, new SamplingOptions(), "none.csv"))!.Message, Does.Contain("no examples"));
    }

    [Test]
    public void The_batch_of_a_step_depends_only_on_the_seed_and_the_step()
    {
        var schedule = new BatchSchedule(100, 16, seed: 5);
        var steps = Enumerable.Range(0, 40).Select(t => schedule.IndicesFor(t)).ToList();
        var fresh = new BatchSchedule(100, 16, seed: 5);
        foreach (var t in new[] { 37, 3, 19, 0, 25 }) Assert.That(fresh.IndicesFor(t), Is.EqualTo(steps[t]), $"step {t}");
        Assert.That(new BatchSchedule(100, 16, seed: 6).IndicesFor(0), Is.Not.EqualTo(steps[0]));
        // Every example once per epoch: the first 100 positions are a permutation.
        var firstEpoch = steps.SelectMany(s => s).Take(100).ToList();
        Assert.That(firstEpoch.Distinct().Count(), Is.EqualTo(100));
    }
}
