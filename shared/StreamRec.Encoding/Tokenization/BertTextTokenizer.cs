using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace StreamRec.Encoding.Tokenization;

/// <summary>
/// BERT WordPiece tokenization for the encoder: [CLS] tokens [SEP], truncated to a maximum that keeps both special
/// tokens. Wraps Microsoft.ML.Tokenizers' BertTokenizer, which does the basic tokenization (cleaning control
/// characters, splitting punctuation, lower-casing and stripping accents for uncased vocabularies).
/// </summary>
public sealed class BertTextTokenizer
{
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
            LowerCaseBeforeTokenization = lowerCase,
            // Uncased BERT strips accents whenever it lower-cases (strip_accents = null follows do_lower_case).
            RemoveNonSpacingMarks = lowerCase,
            ApplyBasicTokenization = true,
            // Text from users must never be read as control tokens: a review saying "[SEP]" is just text.
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
        var clean = Sanitize(text);
        IReadOnlyList<int> body = clean.Length == 0
            ? []
            : _tokenizer.EncodeToIds(clean, maxTokens - 2, addSpecialTokens: false, out _, out _);
        var ids = new int[body.Count + 2];
        ids[0] = ClsId;
        for (var i = 0; i < body.Count; i++)
        {
            ids[i + 1] = body[i];
        }

        ids[^1] = SepId;
        return ids;
    }

    /// <summary>Word pieces of <paramref name="text"/> without special tokens (for diagnostics and tests).</summary>
    public IReadOnlyList<int> EncodeWithoutSpecialTokens(string text) =>
        _tokenizer.EncodeToIds(Sanitize(text), addSpecialTokens: false);

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
