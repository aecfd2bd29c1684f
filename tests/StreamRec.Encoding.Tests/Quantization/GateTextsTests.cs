using StreamRec.Encoding.Quantization;

namespace StreamRec.Encoding.Tests.Quantization;

public sealed class GateTextsTests
{
    [Fact]
    public void Create_Default_GivesAtLeast500DistinctTextsTheSameOnEveryCall()
    {
        var first = GateTexts.Create();
        var second = GateTexts.Create();

        Assert.True(first.Count >= 500);
        Assert.Equal(first.Count, first.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(first, second);
    }

    [Fact]
    public void Create_Default_MixesShortTitlesAndLongReviews()
    {
        var texts = GateTexts.Create();
        var words = texts.Select(t => t.Split(' ').Length).ToArray();

        Assert.True(words.Count(w => w <= 8) >= texts.Count / 4, "short texts");
        Assert.True(words.Count(w => w >= 60) >= texts.Count / 20, "long texts");
        Assert.Contains(texts, t => t.Contains('(', StringComparison.Ordinal) && t.EndsWith(')'));
        Assert.Contains(texts, t => t.Contains("stars", StringComparison.Ordinal) || t.Contains("/10", StringComparison.Ordinal));
    }
}
