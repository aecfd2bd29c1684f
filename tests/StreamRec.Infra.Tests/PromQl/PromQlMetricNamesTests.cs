using StreamRec.Infra.Tests.PromQl;

namespace StreamRec.Infra.Tests.PromQl;

public class PromQlMetricNamesTests
{
    [Fact]
    public void Extract_HistogramQuantileWithGrouping_ReturnsOnlyTheBucketSeries()
    {
        var names = PromQlMetricNames.Extract(
            """histogram_quantile(0.99, sum by (le, from) (rate(streamrec_event_to_list_seconds_bucket{service=~"$service", from="arrival"}[$__rate_interval])))""");

        Assert.Equal(["streamrec_event_to_list_seconds_bucket"], names);
    }

    [Fact]
    public void Extract_BinaryOperationWithVectorMatching_SkipsLabelListsAndKeywords()
    {
        var names = PromQlMetricNames.Extract(
            "sum by (strategy) (rate(a_total[5m])) / ignoring(strategy) group_left sum(rate(b_total[5m])) > bool 0.5 and on (service) c unless d offset 1h");

        Assert.Equal(["a_total", "b_total", "c", "d"], names);
    }

    [Fact]
    public void Extract_AggregationWithTrailingGroupingClause_SkipsTheLabels()
    {
        var names = PromQlMetricNames.Extract("sum(rate(x_total[1m])) without (instance, pod)");

        Assert.Equal(["x_total"], names);
    }

    [Fact]
    public void Extract_LabelValuesThatLookLikeMetrics_AreNotReported()
    {
        var names = PromQlMetricNames.Extract("""up{service=~"item-indexer|recommender", job!="sum"} == 0""");

        Assert.Equal(["up"], names);
    }

    [Fact]
    public void Extract_NameMatcher_YieldsTheNamedMetric()
    {
        var names = PromQlMetricNames.Extract("""count({__name__="streamrec_users_updated_total", service="x"})""");

        Assert.Equal(["streamrec_users_updated_total"], names);
    }

    [Fact]
    public void Extract_NumbersDurationsAndVariables_AreNotNames()
    {
        var names = PromQlMetricNames.Extract("rate(m[${__range}]) * 1e3 + 0.5 - deriv(n[1h30m]) / $scale");

        Assert.Equal(["m", "n"], names);
    }

    [Fact]
    public void Extract_BogusMetricName_IsReportedAsUnknown()
    {
        var unknown = KnownMetrics.Unknown(
            "sum by (topic) (rate(streamrec_events_consumed_total[5m])) / sum(rate(streamrec_events_consumd_total[5m]))");

        Assert.Equal(["streamrec_events_consumd_total"], unknown);
    }

    [Theory]
    [InlineData("streamrec_event_to_list_seconds_bucket", true)]
    [InlineData("streamrec_event_to_list_seconds_sum", true)]
    [InlineData("streamrec_event_to_list_seconds_count", true)]
    [InlineData("streamrec_consumer_lag_messages", true)]
    [InlineData("streamrec_consumer_lag_messages_bucket", false)] // a gauge has no buckets
    [InlineData("streamrec_dead_letters", false)] // counters are declared with _total
    [InlineData("process_cpu_seconds_total", true)]
    [InlineData("dotnet_collection_count_total", true)]
    [InlineData("up", true)]
    [InlineData("node_cpu_seconds_total", false)]
    public void IsKnown_ChecksFamilyAndSuffix(string name, bool expected)
    {
        Assert.Equal(expected, KnownMetrics.IsKnown(name));
    }

    [Fact]
    public void Declared_ReflectsEveryCollectorOfStreamRecMetrics()
    {
        Assert.Contains("streamrec_event_to_list_seconds", KnownMetrics.Declared.Keys);
        Assert.Contains("streamrec_circuit_breaker_state", KnownMetrics.Declared.Keys);
        Assert.All(KnownMetrics.Declared.Keys, n => Assert.StartsWith("streamrec_", n, StringComparison.Ordinal));
        Assert.True(KnownMetrics.Declared.Count >= 20, $"only {KnownMetrics.Declared.Count} collectors found");
    }
}
