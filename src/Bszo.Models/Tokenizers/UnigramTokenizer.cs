using System.Buffers;
using System.Text;
using System.Text.Json;
using Bszo.Ort;
using Microsoft.ML.Tokenizers;

namespace Bszo.Models.Tokenizers;

/// <summary>Options of a <see cref="UnigramTokenizer"/>.</summary>
public sealed record UnigramTokenizerOptions
{
    /// <summary>
    /// Ids below this are control symbols (unknown, sentence markers, reserved slots) that segmentation
    /// never produces, except <see cref="UnknownId"/> for characters no piece covers.
    /// </summary>
    public int ReservedCount { get; init; } = 6;

    /// <summary>The id given to a character that no vocabulary piece starts with.</summary>
    public int UnknownId { get; init; }

    /// <summary>Apply Unicode NFKC before segmentation.</summary>
    public bool Nfkc { get; init; } = true;

    /// <summary>Prefix non-empty text with the word marker <c>▁</c> and replace every space (U+0020) with it.</summary>
    public bool EscapeSpaces { get; init; } = true;

    /// <summary>Collapse a run of consecutive unknown tokens into one.</summary>
    public bool MergeUnknowns { get; init; } = true;
}

/// <summary>
/// A SentencePiece-style unigram tokenizer over a <c>vocab.json</c> of <c>[piece, score]</c> pairs:
/// NFKC, <c>▁</c> for spaces, then the highest-scoring segmentation (Viterbi) of the text into pieces.
/// </summary>
/// <remarks>
/// <para>The segmentation reproduces the TensorFlow.js Universal Sentence Encoder tokenizer id for id,
/// including its particular rules: a piece with a null score counts as score 0; an unknown character
/// scores 0; among equal scores the later candidate wins; and a position whose best score is exactly
/// 0 is treated as not yet reached.</para>
/// <para>Microsoft.ML.Tokenizers' <see cref="SentencePieceTokenizer"/> needs a SentencePiece
/// <c>.model</c> protobuf and scores unknown characters differently, so it cannot give these ids.</para>
/// <para>Instances are immutable and safe to share between threads.</para>
/// </remarks>
public sealed class UnigramTokenizer : Tokenizer
{
    /// <summary>The word marker SentencePiece puts in place of spaces.</summary>
    public const char WordMarker = '\u2581';

    private readonly string[] _pieces;
    private readonly TrieNode _root = new();

    private UnigramTokenizer(string[] pieces, double[] scores, UnigramTokenizerOptions options)
    {
        _pieces = pieces;
        Options = options;
        for (int id = options.ReservedCount; id < pieces.Length; id++) Insert(pieces[id], scores[id], id);
    }

    /// <summary>The options the tokenizer was created with.</summary>
    public UnigramTokenizerOptions Options { get; }

    /// <summary>Number of ids (vocabulary pieces).</summary>
    public int VocabularySize => _pieces.Length;

    /// <summary>The piece of an id.</summary>
    public string Piece(int id) => _pieces[id];

    /// <summary>Creates a tokenizer from a <c>vocab.json</c> file.</summary>
    public static UnigramTokenizer Create(string vocabPath, UnigramTokenizerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(vocabPath);
        if (!File.Exists(vocabPath))
        {
            Throw.Bszo($"Tokenizer vocabulary '{vocabPath}' does not exist.", "a vocab.json of [piece, score] pairs", "no such file",
                "the model directory is incomplete; convert or export the model again.");
        }
        using var stream = File.OpenRead(vocabPath);
        return Create(stream, options, vocabPath);
    }

    /// <summary>Creates a tokenizer from a JSON array of <c>[piece, score]</c> pairs (score may be null).</summary>
    public static UnigramTokenizer Create(Stream vocab, UnigramTokenizerOptions? options = null) => Create(vocab, options, "the vocabulary stream");

    private static UnigramTokenizer Create(Stream vocab, UnigramTokenizerOptions? options, string what)
    {
        ArgumentNullException.ThrowIfNull(vocab);
        options ??= new UnigramTokenizerOptions();
        var pieces = new List<string>();
        var scores = new List<double>();
        try
        {
            using var doc = JsonDocument.Parse(vocab);
            foreach (var entry in doc.RootElement.EnumerateArray())
            {
                if (entry.ValueKind != JsonValueKind.Array || entry.GetArrayLength() < 2 || entry[0].ValueKind != JsonValueKind.String)
                {
                    Throw.Bszo($"Entry {pieces.Count} of {what} is not a [piece, score] pair.", "[\"piece\", -1.5]", entry.GetRawText());
                }
                pieces.Add(entry[0].GetString()!);
                // A null score adds nothing to a segmentation's total (JavaScript's null + x == x).
                scores.Add(entry[1].ValueKind == JsonValueKind.Number ? entry[1].GetDouble() : 0.0);
            }
        }
        catch (JsonException e)
        {
            Throw.Bszo(e, $"{what} is not valid JSON.", "a JSON array of [piece, score] pairs", e.Message);
        }
        catch (InvalidOperationException e)
        {
            Throw.Bszo(e, $"{what} is not a JSON array of [piece, score] pairs.", found: e.Message);
        }
        if (options.UnknownId < 0 || options.UnknownId >= pieces.Count || options.ReservedCount > pieces.Count || options.ReservedCount < 0)
        {
            Throw.Bszo($"The unigram tokenizer options do not fit {what}.", $"ids in [0, {pieces.Count})",
                $"unknown id {options.UnknownId}, {options.ReservedCount} reserved ids");
        }
        return new UnigramTokenizer([.. pieces], [.. scores], options);
    }

    /// <summary>The text segmentation sees: NFKC (if enabled), then the word marker for spaces.</summary>
    public string Preprocess(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var normalized = Options.Nfkc ? UnicodeNfkc.Normalize(text) : text;
        if (!Options.EscapeSpaces || normalized.Length == 0) return normalized;
        return WordMarker + normalized.Replace(' ', WordMarker);
    }

    /// <summary>The ids of <paramref name="text"/>.</summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var symbols = CodePoints(Preprocess(text));
        return Segment(symbols).Select(t => t.Id).ToArray();
    }

    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        var source = text ?? textSpan.ToString();
        var prepared = settings.ConsiderNormalization ? Preprocess(source) : source;
        var symbols = CodePoints(prepared);
        // UTF-16 offset of every code point, for token offsets into the prepared text.
        var offsets = new int[symbols.Length + 1];
        for (int i = 0; i < symbols.Length; i++) offsets[i + 1] = offsets[i] + (symbols[i] >= 0x10000 ? 2 : 1);

        var segments = Segment(symbols);
        int count = Math.Min(segments.Count, settings.MaxTokenCount);
        var tokens = new List<EncodedToken>(count);
        for (int i = 0; i < count; i++)
        {
            var (id, start, end) = segments[i];
            int from = offsets[Math.Clamp(start, 0, symbols.Length)], to = offsets[Math.Clamp(end, 0, symbols.Length)];
            var value = id == Options.UnknownId ? prepared[from..to] : _pieces[id];
            tokens.Add(new EncodedToken(id, value, new Range(from, to)));
        }
        return new EncodeResults<EncodedToken>
        {
            Tokens = tokens,
            NormalizedText = settings.ConsiderNormalization ? prepared : null,
            // Characters of the text the offsets refer to (the prepared text when normalizing) that the tokens cover.
            CharsConsumed = count == segments.Count ? (settings.ConsiderNormalization ? prepared.Length : source.Length)
                : count == 0 ? 0 : tokens[^1].Offset.End.Value,
        };
    }

    protected override EncodeResults<int> EncodeToIds(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        var result = EncodeToTokens(text, textSpan, settings);
        return new EncodeResults<int>
        {
            Tokens = result.Tokens.Select(t => t.Id).ToList(),
            NormalizedText = result.NormalizedText,
            CharsConsumed = result.CharsConsumed,
        };
    }

    public override string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var sb = new StringBuilder();
        foreach (var id in ids)
        {
            if (id < 0 || id >= _pieces.Length) continue;
            if (id < Options.ReservedCount && id != Options.UnknownId) continue;
            sb.Append(_pieces[id]);
        }
        if (!Options.EscapeSpaces) return sb.ToString();
        var text = sb.Replace(WordMarker, ' ').ToString();
        return text.StartsWith(' ') ? text[1..] : text;
    }

    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        var list = ids?.ToList() ?? throw new ArgumentNullException(nameof(ids));
        var text = Decode(list);
        if (text.Length > destination.Length)
        {
            idsConsumed = 0;
            charsWritten = 0;
            return OperationStatus.DestinationTooSmall;
        }
        text.AsSpan().CopyTo(destination);
        idsConsumed = list.Count;
        charsWritten = text.Length;
        return OperationStatus.Done;
    }

    /// <summary>
    /// Best-score segmentation of <paramref name="symbols"/> (code points). Returns (id, start, end)
    /// in code-point positions, in text order.
    /// </summary>
    private List<(int Id, int Start, int End)> Segment(int[] symbols)
    {
        int n = symbols.Length;
        var result = new List<(int, int, int)>();
        if (n == 0) return result;

        // Candidates ending at each position, in increasing start order (the order of the reference
        // implementation's lattice walk, which decides ties).
        var candidates = new List<(int Start, double Score, int Id)>?[n + 1];
        var matches = new List<TrieNode>(16);
        for (int start = 0; start < n; start++)
        {
            matches.Clear();
            var node = _root.Child(symbols[start]);
            for (int i = start; i < n && node is not null; i++)
            {
                if (node.IsEnd) matches.Add(node);
                node = i + 1 < n ? node.Child(symbols[i + 1]) : null;
            }
            if (matches.Count == 0)
            {
                (candidates[start + 1] ??= []).Add((start, 0.0, Options.UnknownId));
                continue;
            }
            foreach (var m in matches) (candidates[start + m.Depth] ??= []).Add((start, m.Score, m.Id));
        }

        var best = new double[n + 1];
        var words = new int[n + 1];
        for (int end = 1; end <= n; end++)
        {
            var list = candidates[end];
            if (list is null) continue;
            foreach (var (start, score, id) in list)
            {
                double total = score + best[start];
                // A best of exactly 0 counts as "not reached yet" (as in the reference implementation).
                if (best[end] == 0 || total >= best[end])
                {
                    best[end] = total;
                    words[end] = id;
                }
            }
        }

        // Walk back from the end; each step moves back by the chosen piece's length in UTF-16 units,
        // which is what the reference implementation does (every piece here is in the BMP).
        var reversed = new List<(int Id, int Start, int End)>();
        for (int end = n; end > 0;)
        {
            int id = words[end];
            int start = end - _pieces[id].Length;
            reversed.Add((id, start, end));
            end = start;
        }
        bool previousUnknown = false;
        foreach (var token in reversed)
        {
            bool unknown = token.Id == Options.UnknownId;
            if (Options.MergeUnknowns && unknown && previousUnknown)
            {
                // Extend the kept unknown token (the later one in text order) to cover this one.
                var last = result[^1];
                result[^1] = (last.Item1, token.Start, last.Item3);
            }
            else
            {
                result.Add((token.Id, token.Start, token.End));
            }
            previousUnknown = unknown;
        }
        result.Reverse();
        return result;
    }

    private static int[] CodePoints(string text)
    {
        var cps = new List<int>(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                cps.Add(char.ConvertToUtf32(text[i], text[i + 1]));
                i++;
            }
            else
            {
                cps.Add(text[i]);
            }
        }
        return [.. cps];
    }

    private void Insert(string piece, double score, int id)
    {
        var cps = CodePoints(piece);
        if (cps.Length == 0) return;
        var node = _root;
        foreach (var cp in cps) node = node.GetOrAdd(cp);
        // A duplicate piece keeps the last id and score, as in the reference implementation.
        node.IsEnd = true;
        node.Score = score;
        node.Id = id;
    }

    private sealed class TrieNode
    {
        private Dictionary<int, TrieNode>? _children;

        public int Depth { get; private init; }

        public bool IsEnd { get; set; }

        public double Score { get; set; }

        public int Id { get; set; }

        public TrieNode? Child(int cp) => _children is not null && _children.TryGetValue(cp, out var c) ? c : null;

        public TrieNode GetOrAdd(int cp)
        {
            _children ??= [];
            if (!_children.TryGetValue(cp, out var child))
            {
                child = new TrieNode { Depth = Depth + 1 };
                _children[cp] = child;
            }
            return child;
        }
    }
}
