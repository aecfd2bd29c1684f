namespace StreamRec.Infra.Tests.PromQl;

/// <summary>
/// Pulls the metric names out of a PromQL expression without a full parser: an identifier is a metric name
/// unless it is a function or aggregation (followed by <c>(</c>, or an aggregation followed by by/without),
/// a keyword or operator word, or a label name (inside <c>{}</c>, or inside the list after by, without, on,
/// ignoring, group_left, group_right). Strings, ranges <c>[..]</c>, numbers, durations and Grafana variables
/// (<c>$x</c>, <c>${x}</c>) are skipped. A <c>{__name__="x"}</c> selector yields <c>x</c>.
/// Public so the live check (scrape /metrics, compare) can reuse it.
/// </summary>
public static class PromQlMetricNames
{
    private static readonly HashSet<string> Aggregations = new(StringComparer.Ordinal)
    {
        "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
        "bottomk", "topk", "quantile", "limitk", "limit_ratio",
    };

    private static readonly HashSet<string> LabelListKeywords = new(StringComparer.Ordinal)
    {
        "by", "without", "on", "ignoring", "group_left", "group_right",
    };

    private static readonly HashSet<string> Keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "and", "or", "unless", "bool", "offset", "atan2", "inf", "nan",
    };

    /// <summary>The metric names <paramref name="expr"/> selects, as written (histogram suffixes kept).</summary>
    public static IReadOnlySet<string> Extract(string expr)
    {
        ArgumentNullException.ThrowIfNull(expr);
        var names = new SortedSet<string>(StringComparer.Ordinal);
        var i = 0;
        while (i < expr.Length)
        {
            var c = expr[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '#')
            {
                while (i < expr.Length && expr[i] != '\n')
                {
                    i++;
                }
            }
            else if (c is '"' or '\'' or '`')
            {
                i = SkipString(expr, i);
            }
            else if (c == '{')
            {
                i = ReadMatchers(expr, i, names);
            }
            else if (c == '[')
            {
                i = SkipTo(expr, i, ']');
            }
            else if (c == '$')
            {
                i = SkipVariable(expr, i);
            }
            else if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < expr.Length && char.IsAsciiDigit(expr[i + 1])))
            {
                while (i < expr.Length && (char.IsAsciiLetterOrDigit(expr[i]) || expr[i] is '.' or '_'))
                {
                    i++;
                }
            }
            else if (IsIdentifierStart(c))
            {
                var start = i;
                while (i < expr.Length && IsIdentifierPart(expr[i]))
                {
                    i++;
                }

                var word = expr[start..i];
                var next = NextNonSpace(expr, i);
                if (LabelListKeywords.Contains(word))
                {
                    if (next < expr.Length && expr[next] == '(')
                    {
                        i = SkipTo(expr, next, ')');
                    }
                }
                else if (Keywords.Contains(word))
                {
                    // operator words and literals: nothing to record
                }
                else if (next < expr.Length && expr[next] == '(')
                {
                    // a function call or an aggregation with its arguments first
                }
                else if (Aggregations.Contains(word) && IsLabelListKeywordAt(expr, next))
                {
                    // `sum by (le) (...)`: the aggregation comes before its grouping clause
                }
                else
                {
                    names.Add(word);
                }
            }
            else
            {
                i++;
            }
        }

        return names;
    }

    /// <summary>
    /// The family name a sample name belongs to: <c>x_bucket</c>, <c>x_sum</c>, <c>x_count</c> map to <c>x</c> when
    /// <paramref name="isHistogramOrSummary"/> says <c>x</c> is one; anything else is returned as it is.
    /// </summary>
    public static string FamilyName(string sampleName, Func<string, bool> isHistogramOrSummary)
    {
        ArgumentNullException.ThrowIfNull(sampleName);
        ArgumentNullException.ThrowIfNull(isHistogramOrSummary);
        foreach (var suffix in (string[])["_bucket", "_sum", "_count"])
        {
            if (sampleName.EndsWith(suffix, StringComparison.Ordinal))
            {
                var family = sampleName[..^suffix.Length];
                if (isHistogramOrSummary(family))
                {
                    return family;
                }
            }
        }

        return sampleName;
    }

    private static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c is '_' or ':';

    private static bool IsIdentifierPart(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or ':';

    private static int NextNonSpace(string s, int i)
    {
        while (i < s.Length && char.IsWhiteSpace(s[i]))
        {
            i++;
        }

        return i;
    }

    private static bool IsLabelListKeywordAt(string s, int i)
    {
        var end = i;
        while (end < s.Length && IsIdentifierPart(s[end]))
        {
            end++;
        }

        return end > i && LabelListKeywords.Contains(s[i..end]);
    }

    private static int SkipString(string s, int i)
    {
        var quote = s[i++];
        while (i < s.Length && s[i] != quote)
        {
            // backquoted strings have no escapes
            i += s[i] == '\\' && quote != '`' ? 2 : 1;
        }

        return i + 1;
    }

    /// <summary>Skips to just after the <paramref name="close"/> matching the opener at <paramref name="i"/>, strings respected.</summary>
    private static int SkipTo(string s, int i, char close)
    {
        var open = s[i];
        var depth = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (c is '"' or '\'' or '`')
            {
                i = SkipString(s, i);
                continue;
            }

            if (c == open)
            {
                depth++;
            }
            else if (c == close && --depth == 0)
            {
                return i + 1;
            }

            i++;
        }

        return i;
    }

    private static int SkipVariable(string s, int i)
    {
        i++;
        if (i < s.Length && s[i] == '{')
        {
            return SkipTo(s, i, '}');
        }

        while (i < s.Length && IsIdentifierPart(s[i]))
        {
            i++;
        }

        return i;
    }

    /// <summary>Label matchers: skipped, except <c>__name__="x"</c>, which names a metric.</summary>
    private static int ReadMatchers(string s, int i, SortedSet<string> names)
    {
        var end = SkipTo(s, i, '}');
        var body = s[(i + 1)..Math.Max(i + 1, end - 1)];
        const string Key = "__name__";
        var at = body.IndexOf(Key, StringComparison.Ordinal);
        if (at >= 0)
        {
            var j = NextNonSpace(body, at + Key.Length);
            if (j < body.Length && body[j] == '=' && (j + 1 >= body.Length || body[j + 1] != '~'))
            {
                j = NextNonSpace(body, j + 1);
                if (j < body.Length && body[j] is '"' or '\'' or '`')
                {
                    var stop = SkipString(body, j);
                    names.Add(body[(j + 1)..(stop - 1)]);
                }
            }
        }

        return end;
    }
}
