using System.Globalization;
using System.Text;

namespace Bszo.Tests.Support;

/// <summary>
/// Short sentiment sentences built from word lists (a CSV with <c>sentence</c> and <c>label</c>
/// columns, as the sst2 task reads them): text-model runs that need no downloaded data. Lengths vary
/// from a few tokens to a few dozen, so batches pad and cached rows are ragged.
/// </summary>
internal static class MovieSentences
{
    private static readonly string[] Subjects = ["The film", "This movie", "The plot", "The cast", "The script", "Every scene", "The ending", "The soundtrack"];

    private static readonly string[] Positive = ["wonderful", "moving", "clever", "delightful", "gripping", "beautiful", "hilarious", "brilliant"];

    private static readonly string[] Negative = ["dull", "tedious", "clumsy", "boring", "lifeless", "dreadful", "predictable", "tiresome"];

    private static readonly string[] Tails =
    [
        "", " from start to finish", ", and I would happily see it again with friends", " in a way that stays with you for days after the credits roll",
        " despite a slow first act", ", even by the standards of a summer blockbuster made in a hurry",
    ];

    /// <summary>Writes <paramref name="rows"/> labelled sentences (label 1 positive, 0 negative) to <paramref name="path"/>.</summary>
    public static string WriteCsv(string path, int rows, int seed)
    {
        var rng = new Random(seed);
        var text = new StringBuilder("sentence,label\n");
        for (int r = 0; r < rows; r++)
        {
            int label = rng.Next(2);
            var words = label == 1 ? Positive : Negative;
            var sentence = $"{Subjects[rng.Next(Subjects.Length)]} is {words[rng.Next(words.Length)]}{Tails[rng.Next(Tails.Length)]}.";
            text.Append('"').Append(sentence).Append("\",").Append(label.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, text.ToString());
        return path;
    }
}
