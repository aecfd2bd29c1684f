using System.Text.RegularExpressions;
using StreamRec.Infra.Tests.Support;

namespace StreamRec.Infra.Tests.Docs;

/// <summary>Log event ids are unique and each project logs within its range of docs/operations.md's table.</summary>
public sealed partial class LogEventIdTests
{
    private static IEnumerable<(string Project, int Id, string File)> EventIds() =>
        new[] { "shared", "services", "bench" }
            .SelectMany(folder => Repo.Files(folder, "*.cs"))
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .SelectMany(f => LoggerMessageId().Matches(Repo.Read(f)).Select(m => (f.Split('/')[1], int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), f)));

    private static Dictionary<string, (int From, int To)> DocumentedRanges() =>
        RangeRow().Matches(Repo.Read("docs/operations.md")).ToDictionary(
            m => m.Groups[3].Value,
            m => (int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)),
            StringComparer.Ordinal);

    [Fact]
    public void EveryEventId_IsUsedOnce()
    {
        var ids = EventIds().ToList();
        Assert.NotEmpty(ids);

        var repeated = ids.GroupBy(i => i.Id).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(i => i.File))}");
        Assert.Empty(repeated);
    }

    [Fact]
    public void EveryEventId_LiesInItsProjectsDocumentedRange()
    {
        var ranges = DocumentedRanges();
        Assert.NotEmpty(ranges);

        var outside = EventIds()
            .Where(i => !ranges.TryGetValue(i.Project, out var r) || i.Id < r.From || i.Id > r.To)
            .Select(i => $"{i.Id} in {i.File}");
        Assert.Empty(outside);
    }

    [Fact]
    public void DocumentedRanges_DoNotOverlap()
    {
        var ranges = DocumentedRanges().Values.OrderBy(r => r.From).ToArray();

        for (var i = 1; i < ranges.Length; i++)
        {
            Assert.True(ranges[i].From > ranges[i - 1].To, $"{ranges[i - 1]} overlaps {ranges[i]}");
        }
    }

    [GeneratedRegex(@"LoggerMessage\((?:EventId\s*=\s*)?(\d+)")]
    private static partial Regex LoggerMessageId();

    [GeneratedRegex(@"^\| (\d+)–(\d+) \| (StreamRec\.[\w.]+) \|", RegexOptions.Multiline)]
    private static partial Regex RangeRow();
}
