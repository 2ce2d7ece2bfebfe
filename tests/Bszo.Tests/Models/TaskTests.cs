using System.Text.Json.Nodes;
using Bszo.Models.Data;
using Bszo.Models.Tasks;
using Bszo.Ort;

namespace Bszo.Tests.Models;

public class TaskTests
{
    private static DataRow Row(string json, long line = 3) => new(JsonNode.Parse(json)!.AsObject(), "data.jsonl", line);

    [Test]
    public void Sst2_appends_the_verbalized_label_after_it_was()
    {
        var example = TaskRegistry.Get("SST-2").Apply(Row("""{"sentence":"a gorgeous film","label":1}"""))!;
        Assert.That(example.Prompt, Is.EqualTo("a gorgeous film It was"));
        Assert.That(example.Candidates, Is.EqualTo(new[] { " terrible", " great" }));
        Assert.That(example.Label, Is.EqualTo(1));
    }

    [TestCase("rte", """{"premise":"P.","hypothesis":"H","label":"not_entailment"}""", "P.\nDoes this mean that \"H\" is true? Yes or No?\n", 1)]
    [TestCase("cb", """{"premise":"P.","hypothesis":"H","label":2}""", "Suppose P. Can we infer that \"H\"? Yes, No, or Maybe?\n", 2)]
    [TestCase("boolq", """{"passage":"Text.","question":"is it true","label":true}""", "Text. Is it true?\n", 1)]
    [TestCase("wsc", """{"text":"T.","span1_text":"Mark","span2_text":"He","label":0}""", "T.\nIn the previous sentence, does the pronoun \"he\" refer to Mark? Yes or No?\n", 0)]
    [TestCase("wic", """{"word":"bank","sentence1":"S1","sentence2":"S2","label":1}""", "Does the word \"bank\" have the same meaning in these two sentences? Yes, No?\nS1\nS2\n", 1)]
    [TestCase("multirc", """{"paragraph":"Para","question":"Q?","answer":"A","label":0}""", "Para\nQuestion: Q?\nI found this answer \"A\". Is that correct? Yes or No?\n", 0)]
    [TestCase("trec", """{"text":"Who wrote Hamlet ?","coarse_label":"HUM"}""", "Who wrote Hamlet ?\nAnswer type:", 3)]
    [TestCase("mnli", """{"premise":"P.","hypothesis":"H","label":1}""", "Suppose P. Can we infer that \"H\"? Yes, No, or Maybe?\n", 1)]
    [TestCase("sst5", """{"sentence":"fine","label":"neutral"}""", "fine It was", 2)]
    public void Built_in_tasks_render_their_prompt_templates(string task, string row, string prompt, int label)
    {
        var example = TaskRegistry.Get(task).Apply(Row(row))!;
        Assert.That(example.Prompt, Is.EqualTo(prompt));
        Assert.That(example.Label, Is.EqualTo(label));
    }

    [Test]
    public void Snli_leaves_out_pairs_without_a_gold_label()
    {
        Assert.That(TaskRegistry.Get("snli").Apply(Row("""{"premise":"P","hypothesis":"H","label":-1}""")), Is.Null);
    }

    [Test]
    public void Copa_connects_premise_and_lower_cased_choices()
    {
        var task = TaskRegistry.Get("copa");
        var cause = task.Apply(Row("""{"premise":"The man broke his toe.","choice1":"He dropped a hammer on his foot.","choice2":"I got a hole in my sock.","question":"cause","label":0}"""))!;
        Assert.That(cause.Prompt, Is.EqualTo("The man broke his toe because"));
        Assert.That(cause.Candidates, Is.EqualTo(new[] { " he dropped a hammer on his foot.", " I got a hole in my sock." }));
        var effect = task.Apply(Row("""{"premise":"It rained.","choice1":"A","choice2":"B","question":"effect","label":1}"""))!;
        Assert.That(effect.Prompt, Is.EqualTo("It rained so"));
        Assert.That(effect.Label, Is.EqualTo(1));
        Assert.That(task.Kind, Is.EqualTo(TaskKind.MultipleChoice));
    }

    [Test]
    public void Record_fills_the_placeholder_with_each_entity()
    {
        var example = TaskRegistry.Get("record").Apply(Row(
            """{"passage":"Story.\n@highlight\nParis wins\n@highlight\nLyon loses","query":"@placeholder celebrated.","entities":["Lyon","Paris","Lyon"],"answers":["Paris"]}"""))!;
        Assert.That(example.Prompt, Is.EqualTo("Story.\n- Paris wins\n- Lyon loses\n- "));
        Assert.That(example.Candidates, Is.EqualTo(new[] { "Lyon celebrated.", "Paris celebrated." }));
        Assert.That(example.Label, Is.EqualTo(1));
    }

    [Test]
    public void Squad_is_a_generation_task_with_every_gold_answer_as_a_candidate()
    {
        var task = TaskRegistry.Get("squad");
        var example = task.Apply(Row("""{"title":"T","context":"C","question":"Q?","answers":{"text":["Denver Broncos","Broncos","Denver Broncos"],"answer_start":[1,2,1]}}"""))!;
        Assert.That(example.Prompt, Is.EqualTo("Title: T\nContext: C\nQuestion: Q?\nAnswer:"));
        Assert.That(example.Candidates, Is.EqualTo(new[] { " Denver Broncos", " Broncos" }));
        Assert.That(task.Metric, Is.EqualTo("f1"));
        var drop = TaskRegistry.Get("drop").Apply(Row("""{"passage":"P","question":"How many?","answers_spans":{"spans":["3"],"types":["number"]}}"""))!;
        Assert.That(drop.Prompt, Is.EqualTo("Passage: P\nQuestion: How many?\nAnswer:"));
        Assert.That(drop.Candidates, Is.EqualTo(new[] { " 3" }));
    }

    [Test]
    public void Custom_task_from_a_template_and_a_verbalizer()
    {
        var task = VerbalizedTask.Custom("{sentence} It was", """{"0":" terrible","1":" great"}""");
        var example = task.Apply(Row("""{"sentence":"dull","label":"0"}"""))!;
        Assert.That(example.Prompt, Is.EqualTo("dull It was"));
        Assert.That(example.Candidates, Is.EqualTo(new[] { " terrible", " great" }));
        Assert.That(example.Label, Is.Zero);
    }

    [Test]
    public void A_label_missing_from_the_verbalizer_names_the_label_file_and_line()
    {
        var task = VerbalizedTask.Custom("{sentence} It was", """{"0":" terrible","1":" great"}""");
        var e = Assert.Throws<BszoException>(() => task.Apply(Row("""{"sentence":"meh","label":"2"}""", line: 17)))!;
        Assert.That(e.Message, Does.Contain("Label '2'").And.Contain("data.jsonl").And.Contain("line 17").And.Contain("'0', '1'"));
    }

    [Test]
    public void A_missing_field_names_the_field_the_file_and_the_line()
    {
        var e = Assert.Throws<BszoException>(() => TaskRegistry.Get("rte").Apply(Row("""{"premise":"P","label":0}""", line: 9)))!;
        Assert.That(e.Message, Does.Contain("'hypothesis'").And.Contain("line 9").And.Contain("premise, label"));
    }

    [Test]
    public void An_unknown_task_lists_the_known_ones()
    {
        var e = Assert.Throws<BszoException>(() => TaskRegistry.Get("sst3"))!;
        foreach (var name in new[] { "sst2", "sst5", "rte", "cb", "boolq", "wsc", "wic", "multirc", "copa", "record", "trec", "snli", "mnli", "squad", "drop", "custom" })
        {
            Assert.That(e.Message, Does.Contain(name));
        }
    }

    [TestCase("{sentence It was", "never closed")]
    [TestCase("{} It was", "empty placeholder")]
    [TestCase("{sentence|shout}", "unknown filter 'shout'")]
    [TestCase("a } b", "without a matching")]
    public void Malformed_templates_are_reported_with_the_position(string template, string problem)
    {
        var e = Assert.Throws<BszoException>(() => PromptTemplate.Create(template))!;
        Assert.That(e.Message, Does.Contain(problem).And.Contain("at character"));
    }

    [Test]
    public void Templates_support_escaped_braces_and_filters()
    {
        var t = PromptTemplate.Create("{{x}} {q|trim|upper_first}? {p|strip_period}");
        Assert.That(t.Render(Row("""{"q":"  why not ","p":"Done."}""")), Is.EqualTo("{x} Why not? Done"));
        Assert.That(t.Fields, Is.EqualTo(new[] { "q", "p" }));
    }
}
