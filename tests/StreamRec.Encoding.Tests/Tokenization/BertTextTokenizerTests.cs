using StreamRec.Encoding.Tokenization;

namespace StreamRec.Encoding.Tests.Tokenization;

/// <summary>Expected ids are vocab.txt line indices of hand-derived WordPiece tokens (greedy longest match).</summary>
[Collection(TinyModelCollection.Name)]
public sealed class BertTextTokenizerTests(TinyModelFixture fixture)
{
    private BertTextTokenizer Tokenizer() => BertTextTokenizer.Load(fixture.VocabPath, fixture.TokenizerConfigPath);

    private int[] Ids(params string[] tokens)
    {
        var lines = File.ReadAllLines(fixture.VocabPath);
        return tokens.Select(t => Array.IndexOf(lines, t)).Select(i => i >= 0 ? i : throw new InvalidOperationException("not in vocab")).ToArray();
    }

    [Fact]
    public void Encode_MixedCaseWithPunctuation_LowerCasesAndSplitsPunctuation()
    {
        var ids = Tokenizer().Encode("Hello, World!", 128);

        Assert.Equal(Ids("[CLS]", "hello", ",", "world", "!", "[SEP]"), ids);
        Assert.Equal([101, 7592, 1010, 2088, 999, 102], ids);
    }

    [Fact]
    public void Encode_AccentedWord_StripsAccentsLikeUncasedBert()
    {
        Assert.Equal(Ids("[CLS]", "cafe", "naive", "[SEP]"), Tokenizer().Encode("Café NAÏVE", 128));
    }

    [Fact]
    public void Encode_RareWords_SplitsIntoWordPiecesWithContinuationPrefix()
    {
        Assert.Equal(
            Ids("[CLS]", "ju", "##man", "##ji", "una", "##ffa", "##ble", "token", "##ization", "[SEP]"),
            Tokenizer().Encode("Jumanji unaffable tokenization", 128));
    }

    [Fact]
    public void Encode_CharacterNotInVocabulary_MapsToUnknown()
    {
        Assert.Equal(Ids("[CLS]", "the", "[UNK]", "movie", "[SEP]"), Tokenizer().Encode("the \u2603 movie", 128));
    }

    [Fact]
    public void Encode_SymbolsAndCjk_KeepVocabularyEntriesAndIsolateIdeographs()
    {
        // "→", "€", "©" and "漢" are vocabulary entries; the emoji and "字" are not. Symbols are not punctuation to
        // BERT, so "x→€5" stays one word and becomes continuation pieces.
        Assert.Equal(Ids("[CLS]", "x", "→", "€", "5", "©", "[UNK]", "漢", "[UNK]", "[SEP]"), Tokenizer().Encode("x → € 5 © \uD83D\uDE00漢字", 128));
        Assert.Equal(Ids("[CLS]", "x", "##→", "##€", "##5", "[SEP]"), Tokenizer().Encode("x→€5", 128));
    }

    [Fact]
    public void Encode_SeparateCombiningMark_IsDroppedLikeNfd()
    {
        Assert.Equal(Ids("[CLS]", "cafe", "[SEP]"), Tokenizer().Encode("Cafe\u0301", 128));
    }

    [Fact]
    public void Encode_HashPrefixTypedByUser_IsPunctuationNotSubwordMarker()
    {
        Assert.Equal(Ids("[CLS]", "#", "#", "able", "[SEP]"), Tokenizer().Encode("##able", 128));
    }

    [Fact]
    public void Encode_SpecialTokenTextFromUser_IsTokenizedAsPlainText()
    {
        Assert.Equal(Ids("[CLS]", "[", "sep", "]", "[SEP]"), Tokenizer().Encode("[SEP]", 128));
    }

    [Fact]
    public void Encode_LongerThanMax_TruncatesKeepingClsAndSep()
    {
        var tokenizer = Tokenizer();
        const string text = "the movie was playing and the world said hello to the movie again and again";
        var full = tokenizer.Encode(text, 512);

        var truncated = tokenizer.Encode(text, 8);

        Assert.Equal(8, truncated.Length);
        Assert.Equal(101, truncated[0]);
        Assert.Equal(102, truncated[^1]);
        Assert.Equal(full[..7], truncated[..7]);
        Assert.True(full.Length > 8);
        // Cut inside a word, as BERT does: "jumanji" is ju ##man ##ji and the limit falls after "ju".
        Assert.Equal(Ids("[CLS]", "the", "ju", "[SEP]"), tokenizer.Encode("the jumanji", 4));
    }

    [Fact]
    public void Encode_EmptyOrWhitespace_GivesOnlyClsAndSep()
    {
        var tokenizer = Tokenizer();

        Assert.Equal([101, 102], tokenizer.Encode("", 16));
        Assert.Equal([101, 102], tokenizer.Encode(" \t\n ", 16));
    }

    [Fact]
    public void Load_ConfigWithDoLowerCaseFalse_KeepsCase()
    {
        var config = Path.Combine(fixture.Root, "cased_tokenizer_config.json");
        File.WriteAllText(config, """{ "do_lower_case": false }""");

        var tokenizer = BertTextTokenizer.Load(fixture.VocabPath, config);

        Assert.False(tokenizer.LowerCase);
        // The uncased vocabulary has no capital letters: a cased "Hello" cannot be matched.
        Assert.Equal(Ids("[CLS]", "[UNK]", "[SEP]"), tokenizer.Encode("Hello", 16));
        Assert.True(BertTextTokenizer.ReadLowerCase(fixture.TokenizerConfigPath));
    }

    [Theory]
    // Escaped in the attribute: xunit's serialization of test data cannot carry lone surrogates.
    [InlineData(@"\uD800abc", @"\uFFFDabc")]
    [InlineData(@"abc\uDC00", @"abc\uFFFD")]
    [InlineData(@"ok \uD83D\uDE00 pair", @"ok \uD83D\uDE00 pair")]
    public void Sanitize_LoneSurrogates_AreReplacedAndPairsKept(string input, string expected)
    {
        Assert.Equal(System.Text.RegularExpressions.Regex.Unescape(expected), BertTextTokenizer.Sanitize(System.Text.RegularExpressions.Regex.Unescape(input)));
    }
}
