using System.Text.Json;
using StreamRec.Evaluation.Output;
using StreamRec.Evaluation.Protocol;

namespace StreamRec.Evaluation.Tests.Output;

public sealed class ResultWriterTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "streamrec-eval-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private static EvaluationReport Report()
    {
        var t = new DateTimeOffset(2005, 1, 1, 0, 0, 0, TimeSpan.Zero);
        SystemResult System(string name, double ndcg) => new(
            name, new MetricSet(100, 0.2, ndcg, 0.15, 0.1), new MetricSet(10, 0.1, ndcg / 2, 0.1, 0.05), new MetricSet(5, 0, 0, 0, 0),
            0.12, 0.6, 9.5, 3650, 0, 0, 1.5, 2.5,
            [new WindowResult("2005", t, new MetricSet(60, 0.2, ndcg, 0.1, 0.1)), new WindowResult("2006", t.AddYears(1), new MetricSet(40, 0.3, ndcg * 1.1, 0.2, 0.1))]);
        return new EvaluationReport(
            "unit, \"quoted\"", "hashing-bow",
            EvaluationSettings.From(new EvaluationOptions()),
            new DatasetSummary(1000, 50, 20, 400, 600, t, t.AddYears(2), t.AddMonths(5), 300, 100),
            [System("most-popular", 0.05), System("streamrec", 0.08)])
        {
            LambdaSweep = [new SweepPoint(0, "streamrec-mmr-0", 0.04, 0.9), new SweepPoint(0.7, "streamrec", 0.08, 0.6), new SweepPoint(1, "streamrec-no-mmr", 0.085, 0.4)],
        };
    }

    [Fact]
    public void ToJson_RoundTripsTheReport()
    {
        var report = Report();

        var json = ResultWriter.ToJson(report);
        var back = JsonSerializer.Deserialize(json, EvaluationJsonContext.Default.EvaluationReport)!;

        Assert.Contains("\"hit_rate\": 0.2", json, StringComparison.Ordinal);
        Assert.Equal(report.Summary, back.Summary);
        Assert.Equal(report.Systems[1].Overall, back.Systems[1].Overall);
        Assert.Equal(3, back.LambdaSweep!.Count);
    }

    [Fact]
    public void ToJson_UnboundedIntervalEnd_IsNullAndReadsBackAsInfinity()
    {
        // A cold-item ratio whose reference finds nothing on many resamples: writing the results failed at the very end
        // of a two-minute run (System.Text.Json refuses infinity).
        var report = Report();
        var unbounded = new RatioInterval("most-popular", 3.27, 1.11, double.PositiveInfinity);
        report = report with { Systems = [report.Systems[0], report.Systems[1] with { ColdItemNdcgVsBest = unbounded }] };

        var json = ResultWriter.ToJson(report);
        var back = JsonSerializer.Deserialize(json, EvaluationJsonContext.Default.EvaluationReport)!;

        Assert.Contains("\"high\": null", json, StringComparison.Ordinal);
        Assert.Equal(unbounded, back.Systems[1].ColdItemNdcgVsBest);
        Assert.Contains("3.27 [1.11, ∞]", ResultWriter.IntervalsMarkdown(report), StringComparison.Ordinal);
    }

    [Fact]
    public void ToCsv_HasOneRowPerSystemAndSlice()
    {
        var lines = ResultWriter.ToCsv(Report()).TrimEnd('\n').Split('\n');

        Assert.Equal(1 + 2 * 3, lines.Length);
        Assert.StartsWith("system,slice,targets,hit_rate@10,ndcg@10,recall@20,mrr@20", lines[0], StringComparison.Ordinal);
        Assert.Equal("streamrec,overall,100,0.2,0.08,0.15,0.1,0.12,0.6,9.5,3650,0,1.5,2.5", lines[4]);
        Assert.Equal(5, ResultWriter.ToWindowsCsv(Report()).TrimEnd('\n').Split('\n').Length);
    }

    [Fact]
    public void ToMarkdown_HasAHeaderAndARowPerSystem()
    {
        var md = ResultWriter.ToMarkdown(Report());

        Assert.Contains("| system | HR@10 | NDCG@10 |", md, StringComparison.Ordinal);
        Assert.Contains("| streamrec | 0.2000 | 0.0800 |", md, StringComparison.Ordinal);
        Assert.Contains("| 0.7 | 0.0800 | 0.600 |", md, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAll_WritesFilesAndPngCharts()
    {
        var files = await ResultWriter.WriteAllAsync(Report(), _dir, TestContext.Current.CancellationToken);
        IReadOnlyList<string> charts;
        try
        {
            charts = ChartWriter.WriteAll(Report(), _dir);
        }
        catch (TypeInitializationException ex) when (ex.InnerException is DllNotFoundException)
        {
            Assert.Skip($"SkiaSharp's native library is not loadable here: {ex.InnerException.Message}");
            return;
        }

        Assert.Equal(4, files.Count);
        Assert.All(files, f => Assert.True(new FileInfo(f).Length > 0, f));
        Assert.Equal([ChartWriter.SystemsChart, ChartWriter.WindowsChart, ChartWriter.SweepChart], charts.Select(Path.GetFileName));
        foreach (var chart in charts)
        {
            var header = File.ReadAllBytes(chart).Take(8).ToArray();
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, header);
        }
    }
}
