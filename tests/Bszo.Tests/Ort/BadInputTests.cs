using Bszo.Ort;
using Bszo.Ort.Graph;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Runtime;
using Bszo.Tests.Support;

namespace Bszo.Tests.Ort;

public class BadInputTests
{
    private static PrepareOptions Options(params string[] trainable) => new() { Loss = ClassificationLossHead.Create("logits"), Trainable = trainable };

    [Test]
    public void Missing_external_data_names_the_file_and_the_tensor()
    {
        using var temp = new TempDirectory();
        var source = TestModels.Mlp(temp["src"]);
        File.Delete(Path.Combine(temp["src"], "mlp.data"));
        var e = Assert.Throws<BszoException>(() => TrainingModelBuilder.Prepare(source, temp["out"], Options()));
        Assert.That(e!.Message, Does.Contain("mlp.data").And.Contain("w1").And.Contain("hint"));
    }

    [Test]
    public void Truncated_external_data_names_the_tensor_and_the_byte_range()
    {
        using var temp = new TempDirectory();
        var source = TestModels.Mlp(temp["src"]);
        var data = Path.Combine(temp["src"], "mlp.data");
        var bytes = File.ReadAllBytes(data);
        File.WriteAllBytes(data, bytes[..^8]); // cuts into b2 only (the last tensor, 12 bytes)
        var e = Assert.Throws<BszoException>(() => TrainingModelBuilder.Prepare(source, temp["out"], Options()));
        Assert.That(e!.Message, Does.Contain("'b2'").And.Contain("beyond the end").And.Contain($"{bytes.Length - 8} bytes"));
    }

    [Test]
    public void A_truncated_weight_file_is_refused_when_loading()
    {
        using var temp = new TempDirectory();
        var prepared = TrainingModelBuilder.Prepare(TestModels.Mlp(temp["src"]), temp["out"], Options());
        var bytes = File.ReadAllBytes(prepared.DataPath);
        File.WriteAllBytes(prepared.DataPath, bytes[..^8]);
        var e = Assert.Throws<BszoException>(() => WeightStore.Load(prepared));
        Assert.That(e!.Message, Does.Contain("weights.bin").And.Contain("too short").And.Contain("b2"));
    }

    [Test]
    public void A_non_float_tensor_named_trainable_is_refused()
    {
        using var temp = new TempDirectory();
        var source = TestModels.LinearRegression(temp["src"], [1f, 2f], 0f);
        var e = Assert.Throws<BszoException>(() => TrainingModelBuilder.Prepare(source, temp["out"],
            new PrepareOptions { Loss = OutputLossHead.Create("sq_err"), Trainable = ["flat"] }));
        Assert.That(e!.Message, Does.Contain("'flat'").And.Contain("int64").And.Contain("float, float16 or bfloat16"));
    }

    [Test]
    public void Unknown_tensor_names_and_empty_selections_are_refused()
    {
        using var temp = new TempDirectory();
        var source = TestModels.Mlp(temp["src"]);
        Assert.That(() => TrainingModelBuilder.Prepare(source, temp["a"], Options("w3")),
            Throws.TypeOf<BszoException>().With.Message.Contains("No initializer named 'w3'"));
        Assert.That(() => TrainingModelBuilder.Prepare(source, temp["b"], Options("*embed*")),
            Throws.TypeOf<BszoException>().With.Message.Contains("No trainable tensors"));
    }

    [Test]
    public void A_missing_logits_output_lists_the_outputs_that_exist()
    {
        using var temp = new TempDirectory();
        var source = TestModels.Mlp(temp["src"]);
        var e = Assert.Throws<BszoException>(() => TrainingModelBuilder.Prepare(source, temp["out"],
            new PrepareOptions { Loss = ClassificationLossHead.Create("scores") }));
        Assert.That(e!.Message, Does.Contain("'scores'").And.Contain("logits"));
    }

    [Test]
    public void A_batch_lacking_a_graph_input_is_refused_by_name()
    {
        using var f = new MlpFixture();
        using var batch = new TensorBatch(2).Add("labels", new long[] { 0, 1 }, 2);
        var e = Assert.Throws<BszoException>(() => f.Session.Bind(batch));
        Assert.That(e!.Message, Does.Contain("'x'"));
    }

    [Test]
    public void A_nan_loss_stops_training_with_a_clear_error()
    {
        using var f = new MlpFixture();
        using var batch = MlpFixture.Blobs(8, 0);
        f.Session.Bind(batch);
        f.Store.Master(f.Store.IdOf("w1"))[0] = float.NaN;
        var mezo = MezoOptimizer.Create(f.Sweep);
        var e = Assert.Throws<TrainingDivergedException>(() => mezo.Step(new DelegateLossEvaluator(f.Session.Loss)));
        Assert.That(e!.Message, Does.Contain("NaN").And.Contain("lower the learning rate"));
    }

    [Test]
    public void Writing_to_an_unwritable_directory_fails_cleanly_and_leaves_no_partial_file()
    {
        using var temp = new TempDirectory();
        var target = temp["file.bin"];
        File.WriteAllText(target, "previous");
        Assert.That(() => AtomicFile.Write(target, s => throw new IOException("disk full")), Throws.TypeOf<BszoException>());
        Assert.That(File.ReadAllText(target), Is.EqualTo("previous"));
        Assert.That(Directory.GetFiles(temp.Path), Has.Length.EqualTo(1), "the temporary file was removed");
    }
}
