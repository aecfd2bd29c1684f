using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace StreamRec.Encoding.Tokenization;

/// <summary>
/// BERT WordPiece tokenization for the encoder: [CLS] tokens [SEP], truncated to a maximum that keeps both special
/// tokens. <see cref="BasicTokenizer"/> cleans, lower-cases, strips accents and splits punctuation the way the
/// reference implementation does; Microsoft.ML.Tokenizers' BertTokenizer then does the WordPiece step.
/// </summary>
public sealed class BertTextTokenizer
{
    // WordPiece gives up on words longer than 100 characters ([UNK]), so no word yields more pieces than this.
    private const int MaxWordPieces = 100;

    private readonly BertTokenizer _tokenizer;

    private BertTextTokenizer(BertTokenizer tokenizer, bool lowerCase)
    {
        _tokenizer = tokenizer;
        LowerCase = lowerCase;
    }

    public bool LowerCase { get; }

    public int ClsId => _tokenizer.ClassificationTokenId;

    public int SepId => _tokenizer.SeparatorTokenId;

    public int PadId => _tokenizer.PaddingTokenId;

    /// <summary>Loads vocab.txt; lower-casing follows <c>do_lower_case</c> in tokenizer_config.json when given (default true).</summary>
    public static BertTextTokenizer Load(string vocabPath, string? tokenizerConfigPath = null)
    {
        if (!File.Exists(vocabPath))
        {
            throw new EncodingException($"Vocabulary file not found: {vocabPath}");
        }

        var lowerCase = ReadLowerCase(tokenizerConfigPath);
        var tokenizer = BertTokenizer.Create(vocabPath, new BertOptions
        {
            // Done by BasicTokenizer, which (unlike the library's, without ICU) strips accents and keeps symbols.
            LowerCaseBeforeTokenization = false,
            RemoveNonSpacingMarks = false,
            ApplyBasicTokenization = false,
            // Text from users must never be read as control tokens: a review saying "[SEP]" is just text (and
            // BasicTokenizer has already split its brackets off).
            SplitOnSpecialTokens = false,
        });
        return new BertTextTokenizer(tokenizer, lowerCase);
    }

    /// <summary>Reads <c>do_lower_case</c>; true when the file or key is missing, as for bert-base-uncased.</summary>
    public static bool ReadLowerCase(string? tokenizerConfigPath)
    {
        if (string.IsNullOrEmpty(tokenizerConfigPath) || !File.Exists(tokenizerConfigPath))
        {
            return true;
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(tokenizerConfigPath));
        return !doc.RootElement.TryGetProperty("do_lower_case", out var value) || value.ValueKind != JsonValueKind.False;
    }

    /// <summary>Token ids [CLS] ... [SEP], at most <paramref name="maxTokens"/> of them.</summary>
    public int[] Encode(string text, int maxTokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 2);
        var words = BasicTokenizer.Normalize(Sanitize(text), LowerCase);
        // The library stops at a whole word, while BERT truncates inside one; asking for one longest word
        // (at most MaxWordPieces pieces) more and cutting here gives BERT's result without tokenizing all of a huge text.
        IReadOnlyList<int> body = string.IsNullOrWhiteSpace(words)
            ? []
            : _tokenizer.EncodeToIds(words, maxTokens - 2 + MaxWordPieces, addSpecialTokens: false, out _, out _);
        var count = Math.Min(body.Count, maxTokens - 2);
        var ids = new int[count + 2];
        ids[0] = ClsId;
        for (var i = 0; i < count; i++)
        {
            ids[i + 1] = body[i];
        }

        ids[^1] = SepId;
        return ids;
    }

    /// <summary>
    /// Replaces lone UTF-16 surrogates with U+FFFD: they are not text, and a broken client must not be able to make the
    /// tokenizer throw. Valid pairs pass through.
    /// </summary>
    internal static string Sanitize(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        StringBuilder? sb = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var lone = char.IsHighSurrogate(c)
                ? i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1])
                : char.IsLowSurrogate(c) && (i == 0 || !char.IsHighSurrogate(text[i - 1]));
            if (lone)
            {
                sb ??= new StringBuilder(text, 0, i, text.Length);
                sb.Append('\uFFFD');
            }
            else
            {
                sb?.Append(c);
            }
        }

        return sb?.ToString() ?? text;
    }
}
