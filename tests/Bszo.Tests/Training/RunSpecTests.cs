using Bszo.Models.Training;
using Bszo.Ort;
using Bszo.Ort.Optimizers;

namespace Bszo.Tests.Training;

public class RunSpecTests
{
    [Test]
    public void Bszo_is_the_default_and_every_catalog_method_makes_a_spec()
    {
        Assert.That(OptimizerCatalog.Default, Is.EqualTo("bszo"));
        foreach (var name in OptimizerCatalog.Names)
        {
            var spec = RunSpec.Create(name, steps: 7, []);
            Assert.That(spec.Optimizer, Is.EqualTo(name));
            Assert.That(spec.Steps, Is.EqualTo(7));
            Assert.That(spec.Options.GetType(), Is.EqualTo(OptimizerCatalog.Get(name).OptionsType));
        }
    }

    [Test]
    public void Open_options_take_the_methods_published_defaults_and_are_recorded_resolved()
    {
        Assert.That(RunSpec.Create("bszo", 10, []).Options.Epsilon, Is.EqualTo(1e-4));
        Assert.That(RunSpec.Create("mezo", 10, []).Options.Epsilon, Is.EqualTo(1e-3));
        Assert.That(RunSpec.Create("mezo", 10, [new("learning-rate", "3e-5")]).Options.LearningRate, Is.EqualTo(3e-5));
        Assert.That(RunSpec.Create("zo-adam", 10, []).ToJson()["options"]!["learningRate"]!.GetValue<double>(), Is.EqualTo(1e-5));
    }

    [Test]
    public void Method_options_on_the_command_line_reach_bszo()
    {
        var spec = RunSpec.Create("bszo", 10,
        [
            new("learningRate", "1e-3"), new("noise-update", "EverySample"), new("prior-std", "0.5"), new("subspace-dimension", "4"), new("samples", "5"),
            new("variant", "basic"), new("schedule", "cosine"), new("warmup-steps", "3"),
        ]);
        var options = (BszoOptions)spec.Options;
        Assert.That(options.NoiseUpdate, Is.EqualTo(NoiseUpdateRule.EverySample));
        Assert.That(options.PriorStd, Is.EqualTo(0.5));
        Assert.That(options.SubspaceDimension, Is.EqualTo(4));
        Assert.That(options.Samples, Is.EqualTo(5));
        Assert.That(options.Variant, Is.EqualTo(BszoVariant.Basic));
        Assert.That(options.LearningRate, Is.EqualTo(1e-3));
        Assert.That(options.Schedule, Is.EqualTo(ScheduleKind.Cosine));
        Assert.That(options.WarmupSteps, Is.EqualTo(3));
    }

    [Test]
    public void Unknown_or_malformed_options_are_refused_by_name()
    {
        Assert.That(() => RunSpec.Create("bszo", 10, [new("rank", "8")]), Throws.TypeOf<BszoException>().With.Message.Contains("'rank'"));
        Assert.That(() => RunSpec.Create("mezo", 10, [new("schedule", "sometimes")]), Throws.TypeOf<BszoException>().With.Message.Contains("schedule"));
        Assert.That(() => RunSpec.Create("mezo", 0, []), Throws.TypeOf<BszoException>().With.Message.Contains("total steps"));
        Assert.That(() => RunSpec.Create("adam", 10, []), Throws.TypeOf<BszoException>().With.Message.Contains("Unknown optimizer"));
    }

    [Test]
    public void A_spec_survives_its_json_exactly()
    {
        var spec = RunSpec.Create("subzero", 123, [new("rank", "4"), new("learning-rate", "0.1"), new("seed", "18446744073709551615")], batchSize: 5, dataSeed: 9,
            cacheFrozenPrefix: false);
        var back = RunSpec.FromJson(spec.ToJson(), "a test");
        Assert.That(back, Is.EqualTo(spec));
        Assert.That(back.ToJson().ToJsonString(), Is.EqualTo(spec.ToJson().ToJsonString()));
    }

    [Test]
    public void The_learning_rate_schedule_warms_up_then_decays_to_zero()
    {
        var linear = RunSpec.Create("mezo", 110, [new("learning-rate", "1"), new("schedule", "linear"), new("warmup-steps", "10")]).Options;
        Assert.That(linear.LearningRateAt(0), Is.EqualTo(0.1));
        Assert.That(linear.LearningRateAt(9), Is.EqualTo(1.0));
        Assert.That(linear.LearningRateAt(60), Is.EqualTo(0.5));
        Assert.That(linear.LearningRateAt(110), Is.Zero);
        var cosine = linear with { Schedule = ScheduleKind.Cosine };
        Assert.That(cosine.LearningRateAt(60), Is.EqualTo(0.5).Within(1e-12));
        Assert.That((linear with { Schedule = ScheduleKind.Constant }).LearningRateAt(100), Is.EqualTo(1.0));
    }
}
