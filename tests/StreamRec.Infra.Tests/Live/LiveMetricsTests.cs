using System.Text.Json;
using System.Text.RegularExpressions;
using StreamRec.Contracts;
using StreamRec.Infra.Tests.PromQl;
using StreamRec.Infra.Tests.Support;
using StreamRec.TestSupport;

namespace StreamRec.Infra.Tests.Live;

/// <summary>
/// Every metric a dashboard panel or an alert rule queries must be exported by the running services: the three
/// services are started against the dev broker, given traffic, and their /metrics is scraped.
/// </summary>
public sealed partial class LiveMetricsTests
{
    // Exported only when that dependency is configured: the circuit breaker guards the Qdrant adapter.
    private static readonly Dictionary<string, string> OnlyWithQdrant = new(StringComparer.Ordinal)
    {
        ["streamrec_circuit_breaker_state"] = "the breaker belongs to the Qdrant adapter; the embedded store has none",
    };

    [Fact]
    public async Task EveryMetricQueriedByDashboardsAndAlerts_IsExportedByTheRunningServices()
    {
        var queried = QueriedMetricNames();
        Assert.NotEmpty(queried);

        await using var h = new PipelineHarness(partitions: 1);
        var app = await h.StartHostAsync();
        await h.ProduceAsync([.. Catalog.Items(2)]);
        await h.ProduceAsync(Catalog.Click("m", "space-1", Catalog.T0), Catalog.Review("m", "space-2", 4, "rockets", Catalog.T0.AddMinutes(1)));
        await h.ProduceRawAsync(Topics.UserEvents, "m", "{broken"u8.ToArray());
        Assert.NotNull(h.WaitForList("m", l => l.Trigger.EventId.Contains("review", StringComparison.Ordinal)));
        // Some series appear only after a lag refresh or a first batch of a kind: scrape until every queried metric is
        // there, for up to a minute (a fixed wait was a race on a busy machine).
        using var http = new HttpClient();
        var metricsUri = new Uri(new Uri(app.Urls.First()), "/metrics");
        var started = TimeProvider.System.GetTimestamp();
        string[] missing;
        while (true)
        {
            var scrape = await http.GetStringAsync(metricsUri, TestContext.Current.CancellationToken);
            var exported = SampleName().Matches(scrape).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
            missing = [.. queried
                .Where(q => q.Name != "up" && !exported.Contains(q.Name) && !OnlyWithQdrant.ContainsKey(FamilyOf(q.Name)))
                .Select(q => $"{q.Name} (in {q.Where})")
                .Distinct()];
            if (missing.Length == 0 || TimeProvider.System.GetElapsedTime(started) > TimeSpan.FromMinutes(1))
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken);
        }

        Assert.True(missing.Length == 0, "queried but not exported: " + string.Join("; ", missing));
    }

    private static string FamilyOf(string sample) =>
        PromQlMetricNames.FamilyName(sample, family => KnownMetrics.Declared.TryGetValue(family, out var t) && t.Name is "Histogram" or "Summary");

    private static List<(string Name, string Where)> QueriedMetricNames()
    {
        var result = new List<(string, string)>();
        foreach (var file in Repo.Files("infra/grafana/dashboards", "*.json"))
        {
            using var doc = JsonDocument.Parse(Repo.Read(file));
            foreach (var expr in Exprs(doc.RootElement))
            {
                result.AddRange(PromQlMetricNames.Extract(expr).Select(n => (n, file)));
            }
        }

        foreach (var group in Yaml.LoadMap("infra/prometheus/alerts.yml").ListOrEmpty("groups"))
        {
            foreach (var rule in group.Map().ListOrEmpty("rules"))
            {
                if (rule.Map().TryGetValue("expr", out var expr) && expr is string text)
                {
                    result.AddRange(PromQlMetricNames.Extract(text).Select(n => (n, "infra/prometheus/alerts.yml")));
                }
            }
        }

        return result;
    }

    private static IEnumerable<string> Exprs(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name == "expr" && property.Value.ValueKind == JsonValueKind.String)
                    {
                        yield return property.Value.GetString()!;
                    }
                    else
                    {
                        foreach (var e in Exprs(property.Value))
                        {
                            yield return e;
                        }
                    }
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    foreach (var e in Exprs(item))
                    {
                        yield return e;
                    }
                }

                break;
        }
    }

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]", RegexOptions.Multiline)]
    private static partial Regex SampleName();
}
