using System.Text.Json.Nodes;
using StreamRec.SystemBench.Pipeline;
using StreamRec.SystemBench.Report;
using StreamRec.SystemBench.Stats;

namespace StreamRec.SystemBench.Tests.Report;

public class TargetsTests
{
    private const string EncoderJson = """
        {"model":"synthetic-minilm-l6","rows":[
          {"texts":"short","batch":8,"tokens_per_text":14.2,"encoder_texts_per_second":500.5,"bare_ort_texts_per_second":510.0,"ratio":0.981},
          {"texts":"short","batch":32,"tokens_per_text":14.2,"encoder_texts_per_second":620.0,"bare_ort_texts_per_second":640.0,"ratio":0.969},
          {"texts":"long","batch":32,"tokens_per_text":128,"encoder_texts_per_second":50.0,"bare_ort_texts_per_second":60.0,"ratio":0.833}]}
        """;

    private static PhaseResult Phase(string name, double? rate, double p99, double? ratio, bool completed = true) =>
        new(name, rate, 1000, 600, 400, 1.5, 700, ratio is null ? null : 700 / ratio, ratio, new LatencySummary(10, p99 / 2, p99 * 0.9, p99, p99, p99 / 2), completed);

    private static PipelineBenchResult Pipeline(params PhaseResult[] phases) =>
        new("test", "model", 384, 1, 2, 100, 50, 10, null, null, phases, [], 0);

    [Fact]
    public void Evaluate_AllTargetsMet_SaysSo()
    {
        var checks = Targets.Evaluate(
            JsonNode.Parse(EncoderJson.Replace("0.833", "0.95", StringComparison.Ordinal)),
            Pipeline(Phase("rate-1000", 1000, 90, 0.1), Phase("max-clicks", null, 900, 0.6)));

        Assert.Equal(4, checks.Count);
        Assert.All(checks, c => Assert.True(c.Met, c.Target + ": " + c.Measured));
    }

    [Fact]
    public void Evaluate_MissedTargets_AreReportedAsNotMet()
    {
        var checks = Targets.Evaluate(
            JsonNode.Parse(EncoderJson),
            Pipeline(Phase("rate-1000", 1000, 400, 0.1), Phase("max-clicks", null, 900, 0.2)));

        Assert.All(checks, c => Assert.False(c.Met, c.Target));
        Assert.Contains("400.0 ms", checks[0].Measured, StringComparison.Ordinal);
        Assert.Contains("long 0.833", checks[2].Measured, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_ShortFetchWaitPhase_IsCheckedBesideTheDefaultOne()
    {
        var checks = Targets.Evaluate(null, Pipeline(Phase("rate-1000", 1000, 900, 0.1), Phase("rate-1000-fetchwait10", 1000, 180, 0.1)));

        Assert.Equal(5, checks.Count);
        Assert.False(checks[0].Met);
        Assert.Contains("rate-1000-fetchwait10", checks[1].Target, StringComparison.Ordinal);
        Assert.True(checks[1].Met);
    }

    [Fact]
    public void Evaluate_Issue16Latency_HoldsOnlyWhenEveryOneKPhaseMeetsBothPercentiles()
    {
        // p50 is half the p99 in these phases: 90 → 45 / 90 meets both; 160 → 80 / 160 misses both; 120 → 60 / 120 misses p50.
        static TargetCheck Issue16(params PhaseResult[] phases) =>
            Targets.Evaluate(null, Pipeline(phases)).Single(c => c.Target.Contains("issue #16", StringComparison.Ordinal));

        var met = Issue16(Phase("rate-1000", 1000, 90, 0.1), Phase("rate-1000-fetchwait5", 1000, 100, 0.1), Phase("rate-5000", 5000, 900, 0.1));
        Assert.True(met.Met, met.Measured);
        Assert.Equal("rate-1000 p50 45.0 / p99 90.0 ms; rate-1000-fetchwait5 p50 50.0 / p99 100.0 ms", met.Measured);

        Assert.False(Issue16(Phase("rate-1000", 1000, 90, 0.1), Phase("rate-1000-fetchwait5", 1000, 160, 0.1)).Met);
        Assert.False(Issue16(Phase("rate-1000", 1000, 120, 0.1)).Met);
        Assert.False(Issue16(Phase("rate-1000", 1000, 90, 0.1, completed: false)).Met);
        Assert.Null(Issue16(Phase("rate-5000", 5000, 90, 0.1)).Met);
    }

    [Fact]
    public void Evaluate_LatencyWithinTargetButPhaseNotDrained_IsNotMet()
    {
        var checks = Targets.Evaluate(null, Pipeline(Phase("rate-1000", 1000, 100, null, completed: false)));

        Assert.False(checks[0].Met);
    }

    [Fact]
    public void Evaluate_NothingMeasured_IsUnknownNotFailed()
    {
        var checks = Targets.Evaluate(null, null);

        Assert.All(checks, c => Assert.Null(c.Met));
    }

    [Fact]
    public void EncoderRows_ReadsTheModelBenchJson()
    {
        var rows = Targets.EncoderRows(JsonNode.Parse(EncoderJson)).ToArray();

        Assert.Equal(3, rows.Length);
        Assert.Equal(("short", 32, 14.2, 620.0, 640.0, 0.969), rows[1]);
    }
}
