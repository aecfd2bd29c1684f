using System.Globalization;
using System.Text;

namespace StreamRec.Encoding.Tokenization;

/// <summary>
/// BERT's basic tokenization, as the reference BasicTokenizer does it: drop control characters, NUL and U+FFFD,
/// map whitespace to spaces, isolate CJK ideographs, lower-case and strip accents (uncased models), and split
/// punctuation into its own words. The result is space-separated words ready for WordPiece.
/// We do this step ourselves because Microsoft.ML.Tokenizers' own basic tokenization drops symbols such as
/// "☃" or "€" (BERT turns them into [UNK] or their vocabulary entry) and cannot strip accents without ICU.
/// </summary>
internal static class BasicTokenizer
{
    public static string Normalize(string text, bool lowerCase)
    {
        var sb = new StringBuilder(text.Length + 16);
        foreach (var rune in text.EnumerateRunes())
        {
            var value = rune.Value;
            if (value == 0 || value == 0xFFFD)
            {
                continue;
            }

            if (IsWhitespace(rune))
            {
                sb.Append(' ');
                continue;
            }

            var category = Rune.GetUnicodeCategory(rune);
            if (IsControl(category))
            {
                continue;
            }

            if (IsCjk(value))
            {
                sb.Append(' ').Append(rune.ToString()).Append(' ');
                continue;
            }

            var r = rune;
            if (lowerCase)
            {
                // Combining marks typed on their own (e + U+0301) go the way NFD would send them.
                if (category == UnicodeCategory.NonSpacingMark)
                {
                    continue;
                }

                r = Rune.ToLowerInvariant(r);
                if (r.IsBmp)
                {
                    r = new Rune(AccentFolding.Fold((char)r.Value));
                }
            }

            if (IsPunctuation(r))
            {
                sb.Append(' ').Append(r.ToString()).Append(' ');
            }
            else
            {
                sb.Append(r.ToString());
            }
        }

        return sb.ToString();
    }

    private static bool IsWhitespace(Rune r) =>
        r.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(r) == UnicodeCategory.SpaceSeparator;

    // Tab, newline and carriage return are control characters too, but count as whitespace (handled above).
    private static bool IsControl(UnicodeCategory c) =>
        c is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
            or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;

    private static bool IsPunctuation(Rune r)
    {
        var v = r.Value;
        // ASCII symbols like "$", "+", "^" are not Unicode punctuation, but BERT treats all non-alphanumeric ASCII as such.
        if (v is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126)
        {
            return true;
        }

        return Rune.GetUnicodeCategory(r) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    private static bool IsCjk(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;
}
