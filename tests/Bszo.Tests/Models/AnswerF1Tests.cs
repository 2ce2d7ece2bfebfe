using Bszo.Models.Evaluation;

namespace Bszo.Tests.Models;

public class AnswerF1Tests
{
    [TestCase("The Denver Broncos!", "denver broncos")]
    [TestCase("  an   apple,  a pear ", "apple pear")]
    [TestCase("Theory of the case", "theory of case")]
    public void Answers_are_normalised_as_squad_does(string text, string normalised) =>
        Assert.That(AnswerF1.Normalize(text), Is.EqualTo(normalised));

    [Test]
    public void Token_f1_counts_shared_tokens_with_multiplicity()
    {
        // prediction "denver broncos broncos" vs gold "broncos": 1 shared token, P = 1/3, R = 1.
        Assert.That(AnswerF1.F1("Denver Broncos broncos", "the Broncos"), Is.EqualTo(2 * (1.0 / 3) / (1.0 / 3 + 1)).Within(1e-12));
        Assert.That(AnswerF1.F1("Broncos Broncos", "Broncos"), Is.EqualTo(2 * 0.5 / 1.5).Within(1e-12));
        Assert.That(AnswerF1.F1("Carolina Panthers", "Denver Broncos"), Is.Zero);
        Assert.That(AnswerF1.F1("the", "a"), Is.Zero, "only articles: no tokens, scored 0 as in SQuAD v1.1");
    }

    [Test]
    public void The_best_gold_answer_counts()
    {
        Assert.That(AnswerF1.MaxF1("Denver", ["Denver Broncos", "Denver"]), Is.EqualTo(1.0));
        Assert.That(AnswerF1.ExactMatch("the Denver Broncos.", ["Denver Broncos"]), Is.EqualTo(1.0));
        Assert.That(AnswerF1.ExactMatch("Denver", ["Denver Broncos"]), Is.Zero);
    }
}
