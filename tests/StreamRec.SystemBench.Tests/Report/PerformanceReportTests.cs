using System.Text.Json.Nodes;
using StreamRec.SystemBench.Pipeline;
using StreamRec.SystemBench.Report;
using StreamRec.SystemBench.Scaling;
using StreamRec.SystemBench.Stats;

namespace StreamRec.SystemBench.Tests.Report;

public class PerformanceReportTests
{
    private static PerformanceReport Sample() => new()
    {
        Machine = new MachineInfo("2026-11-23 12:00 UTC", 2, "Linux", "10.0", 23, 1.5, Quick: true, 120),
        Store = JsonNode.Parse("""{"rows":[{"size":10000,"p50_ms":1.25,"qps":800}]}"""),
        StoreError = null,
        EncoderError = "exited with 1",
        Pipeline = new PipelineBenchResult("MovieLens", "m", 384, 1, 2, 9724, 800, 610,
            new PerUnitMemory(9724, 3000, 4000), null,
            [new PhaseResult("rate-1000", 1000, 15000, 5000, 10000, 15.2, 986.8, 200000, 0.0049, new LatencySummary(900, 40, 90, 180, 220, 50), true)],
            [new PartitionScalingRow(2, 2, new PhaseResult("max-2x", null, 3000, 1000, 2000, 1, 3000, 100000, 0.03, null, true))], 0),
        Scaling = new ScalingResult(5.5, [new CatalogScalingRow(10000, 384, 200, null, new LatencySummary(5, 1, 2, 3, 3, 1), 0.7, 1.43, null)], [])
        {
            EngagementRows = new EngagementRowScaling(10000, 300, new PerUnitMemory(10000, 41000, 45000), new PerUnitMemory(10000, 52000, 60000), 13500, 95.5, 40.26),
        },
        Targets = [new TargetCheck("p99", "180 ms", true)],
    };

    [Fact]
    public void ToJson_RoundTrips()
    {
        var report = Sample();

        var back = PerformanceReport.FromJson(report.ToJson());

        Assert.Equal(report.Machine, back.Machine);
        Assert.Equal(report.Pipeline!.Phases[0], back.Pipeline!.Phases[0]);
        Assert.Equal(1.25, back.Store!["rows"]![0]!["p50_ms"]!.GetValue<double>());
        Assert.Equal("exited with 1", back.EncoderError);
        Assert.Equal(report.Scaling!.EngagementRows, back.Scaling!.EngagementRows);
    }

    [Fact]
    public void ToJson_UsesSnakeCase()
    {
        var json = Sample().ToJson();

        Assert.Contains("\"events_per_second\": 986.8", json, StringComparison.Ordinal);
        Assert.Contains("\"ratio_to_raw\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_WritesEveryMeasuredSection()
    {
        var markdown = MarkdownReport.Render(Sample());

        Assert.Contains("| p99 | 180 ms | yes |", markdown, StringComparison.Ordinal);
        Assert.Contains("| rate-1000 | 1,000 | 15,000 | 5,000 | 10,000 | 987 | 200,000 | 0.005 | 900 | 40.0 | 90.0 | 180.0 | 220.0 | yes |", markdown, StringComparison.Ordinal);
        Assert.Contains("| 10,000 | 1.250 | 800 |", markdown, StringComparison.Ordinal);
        Assert.Contains("Not measured: exited with 1", markdown, StringComparison.Ordinal);
        Assert.Contains("| 2 | 2 | 3,000 | 3,000 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| 10,000 | 200 | 1.00 | 3.00 | 0.70 | 1.43 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| 10,000 | 300 | 41,000 | 52,000 | 13,500 | 95.5 | 40.3 |", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_NegativeWorkingSetGrowth_ShowsAsNoise_NotAsANumber()
    {
        var sample = Sample();
        var report = sample with { Pipeline = sample.Pipeline! with { MemoryPerItem = new PerUnitMemory(9724, 3000, -52577) } };

        var markdown = MarkdownReport.Render(report);

        Assert.Contains("| per item (pipeline, after indexing, full GC) | 9,724 | 3,000 | – |", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("-52,577", markdown, StringComparison.Ordinal);
        Assert.Contains("| per item (pipeline, after indexing, full GC) | 9,724 | 3,000 | 4,000 |", MarkdownReport.Render(sample), StringComparison.Ordinal);
    }

    [Fact]
    public void Render_TheItemSidesCost_PairsTheRunsWithAndWithoutIt()
    {
        var report = Sample();
        report = report with
        {
            Pipeline = report.Pipeline! with
            {
                Phases =
                [
                    .. report.Pipeline.Phases,
                    new PhaseResult("rate-1000-without-item-side", 1000, 15000, 5000, 10000, 15, 1000, 200000, 0.005, new LatencySummary(900, 40, 70, 100, 120, 30), true),
                    new PhaseResult("rate-1000-with-item-side", 1000, 15000, 5000, 10000, 15, 1000, 200000, 0.005, new LatencySummary(900, 60, 90, 150, 200, 40), true),
                ],
            },
        };

        var markdown = MarkdownReport.Render(report);

        Assert.Contains("The item side's cost", markdown, StringComparison.Ordinal);
        Assert.Contains("| MovieLens at 1000/s: event→list p50 ms | 60.0 | 40.0 | 1.50 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| MovieLens at 1000/s: event→list p99 ms | 150.0 | 100.0 | 1.50 |", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("The item side's cost", MarkdownReport.Render(Sample()), StringComparison.Ordinal);
    }
}
