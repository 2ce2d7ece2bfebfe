"""BERT's tokenizer (basic tokenization, then greedy longest-match WordPiece), written from the
algorithm's description in the BERT paper and its reference implementation's documented behaviour:
clean control characters, split CJK ideographs, lowercase and strip accents (uncased models),
split on whitespace and punctuation, then split each word into the longest vocabulary pieces,
continuation pieces marked '##'; a word without a split, or longer than 100 characters, is [UNK]."""
import unicodedata


class WordPiece:
    def __init__(self, vocab_path, lower_case=True, unknown="[UNK]", max_word_chars=100):
        with open(vocab_path, encoding="utf-8") as f:
            tokens = [line.rstrip("\n") for line in f]
        self.ids = {t: i for i, t in enumerate(tokens)}
        self.lower_case = lower_case
        self.unknown = unknown
        self.max_word_chars = max_word_chars

    def encode(self, text):
        """The ids of `text`, without [CLS]/[SEP]."""
        ids = []
        for word in self._words(text):
            ids.extend(self._pieces(word))
        return ids

    def _words(self, text):
        cleaned = []
        for ch in text:
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD or _is_control(ch):
                continue
            if _is_cjk(cp):
                cleaned.append(f" {ch} ")
            elif _is_whitespace(ch):
                cleaned.append(" ")
            else:
                cleaned.append(ch)
        words = []
        for word in "".join(cleaned).split():
            if self.lower_case:
                word = "".join(c for c in unicodedata.normalize("NFD", word.lower()) if unicodedata.category(c) != "Mn")
            current = ""
            for ch in word:
                if _is_punctuation(ch):
                    if current:
                        words.append(current)
                    words.append(ch)
                    current = ""
                else:
                    current += ch
            if current:
                words.append(current)
        return words

    def _pieces(self, word):
        if len(word) > self.max_word_chars:
            return [self.ids[self.unknown]]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    pieces.append(self.ids[piece])
                    break
                end -= 1
            if end == start:
                return [self.ids[self.unknown]]
            start = end
        return pieces


def _is_whitespace(ch):
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def _is_control(ch):
    return ch not in "\t\n\r" and unicodedata.category(ch).startswith("C")


def _is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp):
    return any(lo <= cp <= hi for lo, hi in ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
                                             (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)))
