using Bszo.Models.Training;
using Bszo.Ort.Optimizers;

namespace Bszo.Tests.Training;

public class TrainingOptimizersTests
{
    [Test]
    public void Bszo_is_the_default_and_every_catalog_method_is_accepted()
    {
        Assert.That(TrainingOptimizers.Default, Is.EqualTo("bszo"));
        Assert.That(TrainingOptimizers.Names, Is.EquivalentTo(OptimizerCatalog.Names));
    }

    [Test]
    public void Open_settings_take_the_methods_published_defaults_and_are_logged_resolved()
    {
        var bszo = TrainingOptimizers.Resolve("bszo", new OptimizerSettings());
        var mezo = TrainingOptimizers.Resolve("mezo", new OptimizerSettings());
        Assert.That(bszo.Epsilon, Is.EqualTo(1e-4));
        Assert.That(mezo.Epsilon, Is.EqualTo(1e-3));
        Assert.That(TrainingOptimizers.Resolve("mezo", new OptimizerSettings { LearningRate = 3e-5 }).LearningRate, Is.EqualTo(3e-5));
    }

    [Test]
    public void Method_options_on_the_command_line_reach_bszo()
    {
        var settings = new OptimizerSettings
        {
            LearningRate = 1e-3,
            Extra = new Dictionary<string, string>
            {
                ["noise-update"] = "EverySample",
                ["prior-std"] = "0.5",
                ["subspace-dimension"] = "4",
                ["samples"] = "5",
                ["variant"] = "basic",
            },
        };
        var options = (BszoOptions)TrainingOptimizers.Options("bszo", settings);
        Assert.That(options.NoiseUpdate, Is.EqualTo(NoiseUpdateRule.EverySample));
        Assert.That(options.PriorStd, Is.EqualTo(0.5));
        Assert.That(options.SubspaceDimension, Is.EqualTo(4));
        Assert.That(options.Samples, Is.EqualTo(5));
        Assert.That(options.Variant, Is.EqualTo(BszoVariant.Basic));
        Assert.That(options.LearningRate, Is.EqualTo(1e-3));
    }

    [Test]
    public void Unknown_method_options_are_refused_by_name()
    {
        var settings = new OptimizerSettings { Extra = new Dictionary<string, string> { ["rank"] = "8" } };
        Assert.That(() => TrainingOptimizers.Options("bszo", settings),
            Throws.TypeOf<Bszo.Ort.BszoException>().With.Message.Contains("'rank'"));
    }
}
