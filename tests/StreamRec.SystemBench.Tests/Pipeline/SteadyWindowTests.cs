using System.Text.Json.Nodes;
using StreamRec.SystemBench.Pipeline;
using StreamRec.SystemBench.Report;

namespace StreamRec.SystemBench.Tests.Pipeline;

public class SteadyWindowTests
{
    private static ProcessCounters Counters(double cpu, long allocated, double decodeSeconds = 0, long decodeCalls = 0) =>
        new(cpu, null, allocated, 0, new Dictionary<string, double> { ["decode"] = decodeSeconds }, new Dictionary<string, long> { ["decode"] = decodeCalls });

    /// <summary>A drain of 1,000 events: a slow start (consumers joining), then 100 events/s, then a slow tail.</summary>
    private static List<SteadySample> Drain()
    {
        var samples = new List<SteadySample> { new(0, 0, 0, Counters(0, 0)), new(1, 0, 0, Counters(0.5, 0)), new(2, 20, 0, Counters(1, 1_000)) };
        for (var t = 3; t <= 12; t++)
        {
            var done = 20 + (t - 2) * 95;
            samples.Add(new SteadySample(t, Math.Min(done, 990), t * 10, Counters(t, done * 1_000L, t * 0.01, t)));
        }

        samples.Add(new SteadySample(20, 1_000, 200, Counters(30, 2_000_000)));
        return samples;
    }

    [Fact]
    public void Middle_StartsAtTenPercent_EndsAtNinetyPercent()
    {
        var samples = Drain();

        var window = SteadyWindow.Middle(samples, 1_000);

        // 10 %: the first sample with at least 100 done is t = 3 (115); 90 %: the first with at least 900 is t = 12 (970).
        Assert.Equal((3, 12), window);
        Assert.Equal(95.0, SteadyWindow.Rate(samples[3], samples[12]), 9);
    }

    [Fact]
    public void Middle_IgnoresTheRampAndTheTail()
    {
        var samples = Drain();
        var firstToLast = 1_000 / samples[^1].Seconds;

        var (start, end) = SteadyWindow.Middle(samples, 1_000)!.Value;

        Assert.True(SteadyWindow.Rate(samples[start], samples[end]) > 1.5 * firstToLast);
    }

    [Fact]
    public void Middle_NeverReachesNinetyPercent_IsNull()
    {
        var samples = Drain().Take(8).ToList();

        Assert.Null(SteadyWindow.Middle(samples, 1_000));
    }

    [Fact]
    public void Middle_BothMarksOnOneSample_IsNull()
    {
        List<SteadySample> samples = [new(0, 0, 0, Counters(0, 0)), new(1, 1_000, 0, Counters(1, 0))];

        Assert.Null(SteadyWindow.Middle(samples, 1_000));
    }

    [Fact]
    public void MiddleOrWhole_IsTheMiddleWhenThereIsOne_ElseTheWholeDrain_ElseNull()
    {
        // A slowest group whose one large commit passes both marks between two samples: the whole drain instead.
        List<SteadySample> jump = [new(0, 0, 0, Counters(0, 0)), new(1, 50, 0, Counters(1, 0)), new(2, 950, 0, Counters(2, 0)), new(3, 1_000, 0, Counters(3, 0))];

        Assert.Equal((3, 12, false), SteadyWindow.MiddleOrWhole(Drain(), 1_000));
        Assert.Equal((0, 3, true), SteadyWindow.MiddleOrWhole(jump, 1_000));
        Assert.Null(SteadyWindow.MiddleOrWhole(jump.Take(2).ToList(), 1_000));
    }

    [Fact]
    public void Stages_PerEventOverTheWindow_KnownStagesFirst()
    {
        var start = new ProcessCounters(0, null, 0, 0,
            new Dictionary<string, double> { ["zz_new"] = 0, ["publish"] = 1, ["decode"] = 0.5 },
            new Dictionary<string, long> { ["zz_new"] = 0, ["publish"] = 10, ["decode"] = 5 });
        var end = new ProcessCounters(0, null, 0, 0,
            new Dictionary<string, double> { ["zz_new"] = 0.001, ["publish"] = 1, ["decode"] = 0.7, ["load"] = 0.3 },
            new Dictionary<string, long> { ["zz_new"] = 1, ["publish"] = 10, ["decode"] = 9, ["load"] = 4 });

        var stages = SteadyWindow.Stages(start, end, 1_000);

        // publish had no call in the window: left out. A stage without a description comes after the known ones.
        Assert.Equal(["decode", "load", "zz_new"], stages.Select(s => s.Stage));
        Assert.Equal(200, stages[0].UsPerEvent, 6);
        Assert.Equal(4, stages[0].Calls);
        Assert.Equal(50_000, stages[0].UsPerCall, 6);
        Assert.Equal(300, stages[1].UsPerEvent, 6);
        Assert.Equal("", stages[2].Description);
    }

    [Fact]
    public void InOrder_PipelineOrder_ThenStoreOperations_ThenUnknown()
    {
        var ordered = SteadyWindow.InOrder(["zz", "store:scroll", "publish", "store:get", "encode", "decode", "aa"]);

        Assert.Equal(["decode", "encode", "publish", "store:get", "store:scroll", "aa", "zz"], ordered);
        Assert.Equal("vector-store calls, every caller: scroll", SteadyWindow.Describe("store:scroll"));
        Assert.Equal("", SteadyWindow.Describe("zz"));
    }

    [Fact]
    public void PipelineDone_IsAsFarAsTheSlowestGroup()
    {
        var ends = new Dictionary<string, long> { ["profile-updater"] = 1_000, ["recommender"] = 400, ["item-side"] = 2_000, ["unused"] = 0 };
        var committed = new Dictionary<string, long> { ["profile-updater"] = 900, ["recommender"] = 100, ["item-side"] = 1_000 };

        Assert.Equal(250, SteadyWindow.PipelineDone(committed, ends, 1_000));
        Assert.Equal(1_000, SteadyWindow.PipelineDone(ends, ends, 1_000));
        Assert.Equal(0, SteadyWindow.PipelineDone(new Dictionary<string, long>(), ends, 1_000));
    }

    /// <summary>
    /// The same 1,000-event drain as <see cref="Drain"/> seen from two groups: the profile-updater (its 1,000 events) and a
    /// recommender that lags it by half (500 notifications in the end), catching up in the tail.
    /// </summary>
    private static List<DrainSample> TwoGroups() =>
        [.. Drain().Select(s => new DrainSample(
            s.Seconds,
            new Dictionary<string, long> { ["pu"] = s.Done, ["rec"] = s.Seconds >= 20 ? 500 : s.Done / 4 },
            s.Lists,
            s.Process))];

    [Fact]
    public void Summarize_RateOverTheSlowestGroupsMiddle_InputRateBeside()
    {
        var ends = new Dictionary<string, long> { ["pu"] = 1_000, ["rec"] = 500 };

        var result = SteadyBench.Summarize("steady-clicks", EventMix.Clicks, new BacklogCounts(1_000, 1_000, 0, 0, 0.5), TwoGroups(), ends, "pu", raw: 950, drainSeconds: 21, tailSeconds: 1, completed: true);

        // The recommender is at half the profile-updater's share until the tail: 10 % first at t = 4 (pu 210, rec 52 of 500 →
        // 104 events), 90 % only at the end (t = 20). The profile-updater alone moved at 95 events/s.
        Assert.Equal(896, result.WindowEvents);
        Assert.Equal(16, result.Seconds);
        Assert.Equal(56, result.EventsPerSecond);
        Assert.Equal(95, result.InputEventsPerSecond);
        Assert.Equal(Math.Round(56 / 950.0, 4), result.RatioToRaw);
        Assert.Equal(160, result.Lists); // 200 - 40
        Assert.Equal(10, result.ListsPerSecond);
        Assert.Equal(Math.Round(26 * 1e6 / 896, 2), result.CpuUsPerEvent);
        Assert.Equal(Math.Round((2_000_000 - 210_000) / 896.0, 0), result.AllocBytesPerEvent);
        Assert.Equal(Math.Round(30 * 1e6 / 1_000, 2), result.DrainCpuUsPerEvent);
        Assert.Equal(2_000, result.DrainAllocBytesPerEvent);
        Assert.Equal(Math.Round(1_000 / 21.0, 1), result.DrainEventsPerSecond);
        // Stages count over the whole drain, first sample to last; this series' decode histogram has none there.
        Assert.Empty(result.Stages);
    }

    [Fact]
    public void Summarize_StagesOverTheWholeDrain()
    {
        List<DrainSample> drain =
        [
            new(0, new Dictionary<string, long> { ["pu"] = 0 }, 0, Counters(0, 0, 0, 0)),
            new(1, new Dictionary<string, long> { ["pu"] = 500 }, 0, Counters(1, 0, 0.1, 2)),
            new(2, new Dictionary<string, long> { ["pu"] = 1_000 }, 0, Counters(2, 0, 0.25, 4)),
        ];

        var result = SteadyBench.Summarize("steady-clicks", EventMix.Clicks, new BacklogCounts(1_000, 1_000, 0, 0, 0.5), drain, new Dictionary<string, long> { ["pu"] = 1_000 }, "pu", null, 2, 0, true);

        var decode = Assert.Single(result.Stages);
        Assert.Equal(250, decode.UsPerEvent, 6);
        Assert.Equal(4, decode.Calls);
    }

    [Fact]
    public void Summarize_NoWindow_LeavesTheRatesOut()
    {
        List<DrainSample> drain = [new(0, new Dictionary<string, long> { ["pu"] = 0 }, 0, Counters(0, 0)), new(1, new Dictionary<string, long> { ["pu"] = 10 }, 0, Counters(1, 0))];

        var result = SteadyBench.Summarize("steady-mix", EventMix.MovieLensMix, new BacklogCounts(1_000, 300, 700, 20, 0.5), drain, new Dictionary<string, long> { ["pu"] = 1_000 }, "pu", raw: null, drainSeconds: 1, tailSeconds: null, completed: false);

        Assert.Null(result.EventsPerSecond);
        Assert.Null(result.RatioToRaw);
        Assert.Null(result.CpuUsPerEvent);
        Assert.Null(result.DrainEventsPerSecond);
        Assert.Equal("movielens-mix", result.Mix);
        // Nothing that could not be measured turns into NaN, which JSON cannot carry.
        var report = new PerformanceReport
        {
            Machine = new MachineInfo("2026-12-07 12:00 UTC", 2, "Linux", "10.0", 23, 1.5, Quick: true, 60),
            Pipeline = new PipelineBenchResult("s", "m", 384, 1, 2, 50, 100, 0, null, null, [], [], 0) { Steady = [result] },
        };
        Assert.Contains("\"steady\"", report.ToJson(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("4242 (rdk:mock) S 1 1 1 0 -1 4194368 10 0 0 0 250 75 0 0 20 0 1 0 100 0 0", "rdk:mock", 325)]
    [InlineData("17 (.NET TP Worker) R 1 1 1 0 -1 4194368 10 0 0 0 3 4 0 0 20 0 1 0 100 0 0", ".NET TP Worker", 7)]
    [InlineData("18 (a) b (c)) S 1 1 1 0 -1 4194368 10 0 0 0 1 2 0 0 20 0 1 0 100 0 0", "a) b (c)", 3)]
    public void ParseStat_NameAndCpuTicks(string stat, string name, long ticks)
    {
        Assert.Equal((name, ticks), ThreadCpu.ParseStat(stat));
    }

    [Fact]
    public void ParseStat_Truncated_IsNull()
    {
        Assert.Null(ThreadCpu.ParseStat("1 (x) S 1 2"));
    }
}

public class SteadyReportTests
{
    private static SteadyPhaseResult Run(string name, string mix, double ratio) => new(
        name, mix, 1_000_000, mix == "clicks" ? 1_000_000 : 380_000, mix == "clicks" ? 0 : 620_000, mix == "clicks" ? 0 : 18_600,
        60.5, 800_000, 13_223.1, 650_000, ratio, 21_000, 347.1, 140.27, 30.5, 5_210, 123, 4.2, 81.3, 2.1, true,
        [new StageCost("decode", SteadyWindow.StageDescriptions["decode"], 1.5, 3_125, 480), new StageCost("commit", SteadyWindow.StageDescriptions["commit"], 12.75, 6_000, 1_700)])
    {
        InputEventsPerSecond = 20_000,
        DrainEventsPerSecond = 12_300,
        DrainCpuUsPerEvent = 150.52,
        DrainAllocBytesPerEvent = 5_500,
    };

    private static PerformanceReport Report() => new()
    {
        Machine = new MachineInfo("2026-12-07 12:00 UTC", 2, "Linux", "10.0", 23, 1.5, Quick: false, 600),
        Pipeline = new PipelineBenchResult("synthetic population (steady-state runs only)", "all-MiniLM-L6-v2", 384, 1, 2, 10_000, 180, 0, null, null, [], [], 0)
        {
            Steady = [Run("steady-clicks", "clicks", 0.0203), Run("steady-mix", "movielens-mix", 0.015)],
            SteadyPopulation = "100,000 users",
        },
    };

    [Fact]
    public void ToJson_CarriesTheSteadyStatePhase_WithTheIssuesFields()
    {
        var json = JsonNode.Parse(Report().ToJson())!;

        var steady = json["pipeline"]!["steady"]!.AsArray();
        Assert.Equal(2, steady.Count);
        var clicks = steady[0]!.AsObject();
        foreach (var field in new[]
        {
            "name", "events", "seconds", "events_per_second", "raw_events_per_second", "ratio_to_raw", "cpu_us_per_event", "alloc_bytes_per_event", "lists_per_second",
            "input_events_per_second", "drain_cpu_us_per_event", "drain_alloc_bytes_per_event", "stages",
        })
        {
            Assert.True(clicks.ContainsKey(field), field);
        }

        Assert.Equal("steady-clicks", clicks["name"]!.GetValue<string>());
        Assert.Equal(13_223.1, clicks["events_per_second"]!.GetValue<double>());
        Assert.Equal(0.0203, clicks["ratio_to_raw"]!.GetValue<double>());
        var stage = clicks["stages"]![1]!.AsObject();
        Assert.Equal("commit", stage["stage"]!.GetValue<string>());
        Assert.Equal(12.75, stage["us_per_event"]!.GetValue<double>());
        Assert.Equal(6_000, stage["calls"]!.GetValue<long>());
    }

    [Fact]
    public void ToJson_RoundTrips()
    {
        var report = Report();

        var back = PerformanceReport.FromJson(report.ToJson());

        Assert.Equal(report.Pipeline!.Steady[0] with { Stages = [] }, back.Pipeline!.Steady[0] with { Stages = [] });
        Assert.Equal(report.Pipeline.Steady[0].Stages, back.Pipeline.Steady[0].Stages);
    }

    [Fact]
    public void Render_SteadyRowsAndStageBreakdown()
    {
        var markdown = MarkdownReport.Render(Report());

        Assert.Contains("| steady-clicks | 1,000,000 | 1,000,000 | 0 | 0 | 60.5 | 13,223 | 20,000 | 650,000 | 0.020 | 347 | 140.3 | 150.5 | 30.5 | 5,210 | 5,500 | 81.3 | 2.1 | yes |", markdown, StringComparison.Ordinal);
        Assert.Contains("| commit | 12.75 | 6,000 | 12.75 | 6,000 | vector store: SQLite commit", markdown, StringComparison.Ordinal);
        Assert.Contains("wall-clock", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("## Pipeline (all-in-one host", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Targets_SteadyClicksRatio_ReadAgainstAQuarterOfRaw()
    {
        var checks = Targets.Evaluate(null, Report().Pipeline);

        var steady = Assert.Single(checks, c => c.Target.StartsWith("steady-state clicks", StringComparison.Ordinal));
        Assert.False(steady.Met);
        Assert.StartsWith("0.020 (13223 vs 650000 events/s; 140.3 µs CPU per event", steady.Measured, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(6_000, false, "0.50 (6000 vs 12000 events/s; CPU 150.0 vs 50.0 µs per event)")]
    [InlineData(10_200, true, "0.85 (10200 vs 12000 events/s; CPU 150.0 vs 50.0 µs per event)")]
    public void Targets_TheItemSidesCost_ReadAgainstTwentyPercent(double withRate, bool met, string measured)
    {
        var report = Report();
        var with = Run(SteadyBench.FanOutClicks, "clicks", 0.01) with { EventsPerSecond = withRate, CpuUsPerEvent = 150 };
        var without = Run(SteadyBench.FanOutClicks + SteadyBench.WithoutItemSide, "clicks", 0.02) with { EventsPerSecond = 12_000, CpuUsPerEvent = 50 };

        var checks = Targets.Evaluate(null, report.Pipeline! with { Steady = [.. report.Pipeline.Steady, with, without] });

        var itemSide = Assert.Single(checks, c => c.Target.StartsWith("item side:", StringComparison.Ordinal));
        Assert.Equal(met, itemSide.Met);
        Assert.Equal(measured, itemSide.Measured);
        // Without the fan-out pair the target is not read at all.
        Assert.DoesNotContain(Targets.Evaluate(null, report.Pipeline), c => c.Target.StartsWith("item side:", StringComparison.Ordinal));
    }

    [Fact]
    public void Render_TheItemSidesCost_PairsTheFanOutRunsWithAndWithoutIt()
    {
        var report = Report();
        var with = Run(SteadyBench.FanOutClicks, "clicks", 0.01) with { EventsPerSecond = 6_000, CpuUsPerEvent = 150, DrainEventsPerSecond = 4_800 };
        var without = Run(SteadyBench.FanOutClicks + SteadyBench.WithoutItemSide, "clicks", 0.02) with { EventsPerSecond = 12_000, CpuUsPerEvent = 50, DrainEventsPerSecond = 8_000 };
        report = report with { Pipeline = report.Pipeline! with { Steady = [.. report.Pipeline.Steady, with, without] } };

        var markdown = MarkdownReport.Render(report);

        Assert.Contains("| steady clicks, MovieLens's fan-out: events/s | 6,000 | 12,000 | 0.50 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| steady clicks, MovieLens's fan-out: events/s, whole drain | 4,800 | 8,000 | 0.60 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| steady clicks, MovieLens's fan-out: CPU µs/event | 150.0 | 50.0 | 3.00 |", markdown, StringComparison.Ordinal);
        // The default population's clicks run is not the comparison's "with".
        Assert.DoesNotContain("The item side's cost", MarkdownReport.Render(Report()), StringComparison.Ordinal);
    }
}
