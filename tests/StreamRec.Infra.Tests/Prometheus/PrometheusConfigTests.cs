using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using StreamRec.Infra.Tests.Grafana;
using StreamRec.Infra.Tests.PromQl;
using StreamRec.Infra.Tests.Support;

namespace StreamRec.Infra.Tests.Prometheus;

public class PrometheusConfigTests
{
    private const string ConfigFile = "infra/prometheus/prometheus.yml";
    private const string AlertsFile = "infra/prometheus/alerts.yml";

    private static List<Dictionary<string, object?>> AlertRules(string file, params string[] pathToGroups) =>
        [.. ((Yaml.LoadAllFile(file).Single().At(pathToGroups) as List<object?>) ?? [])
            .SelectMany(g => g.Map().ListOrEmpty("rules")).Select(r => r.Map())];

    [Fact]
    public void ScrapeTargets_AreTheComposeServicesOnTheirHttpPorts()
    {
        var compose = Yaml.LoadMap("infra/docker-compose.yml").At("services").Map();
        var targets = Yaml.LoadMap(ConfigFile).ListOrEmpty("scrape_configs").Select(j => j.Map())
            .Where(j => (j.Str("job_name") ?? "").StartsWith("streamrec-", StringComparison.Ordinal))
            .SelectMany(j => j.ListOrEmpty("static_configs").Select(s => s.Map()))
            .ToList();

        Assert.Equal(ServiceCatalog.All.Count, targets.Count);
        foreach (var staticConfig in targets)
        {
            var target = Assert.Single(staticConfig.ListOrEmpty("targets")) as string;
            var (host, port) = (target!.Split(':')[0], target.Split(':')[1]);
            Assert.True(compose.ContainsKey(host), $"{target}: no compose service '{host}'");
            var env = compose[host].Map().MapOrNull("environment")!;
            Assert.Equal(port, env.Str("StreamRec__Http__Port"));
            Assert.Equal(host, staticConfig.MapOrNull("labels")?.Str("service"));
        }

        Assert.Equal(
            ServiceCatalog.Names.Order(StringComparer.Ordinal),
            targets.Select(t => t.MapOrNull("labels")!.Str("service")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ServiceDownAndAbsentAlerts_WatchEveryService()
    {
        var rules = AlertRules(AlertsFile, "groups").ToDictionary(r => r.Str("alert") ?? "", r => r.Str("expr") ?? "", StringComparer.Ordinal);
        var down = Regex.Match(rules["StreamRecServiceDown"], "service=~\"([^\"]+)\"").Groups[1].Value.Split('|');
        var absent = Regex.Matches(rules["StreamRecServiceAbsent"], "absent\\(up\\{service=\"([^\"]+)\"\\}\\)").Select(m => m.Groups[1].Value);
        Assert.Equal(ServiceCatalog.Names.Order(StringComparer.Ordinal), down.Order(StringComparer.Ordinal));
        Assert.Equal(ServiceCatalog.Names.Order(StringComparer.Ordinal), absent.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void RuleFiles_AreTheAlertsFileMountedBesideTheConfig()
    {
        Assert.Equal(["alerts.yml"], Yaml.LoadMap(ConfigFile).ListOrEmpty("rule_files"));
        var volumes = Yaml.LoadMap("infra/docker-compose.yml").At("services", "prometheus").Map().ListOrEmpty("volumes");
        Assert.Contains("./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro", volumes);
        Assert.Contains("./prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro", volumes);
    }

    [Fact]
    public void Alerts_CoverTheRequiredConditions()
    {
        var names = AlertRules(AlertsFile, "groups").Select(r => r.Str("alert")).ToHashSet();
        string[] required =
        [
            "StreamRecConsumerLagGrowing", "StreamRecFreshnessP99OverTarget", "StreamRecDeadLettersRising",
            "StreamRecCircuitBreakerOpen", "StreamRecServiceDown",
        ];
        var missing = required.Where(r => !names.Contains(r)).ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public void Alerts_QueryOnlyMetricsThatExist_AndCarrySeverityAndRunbook()
    {
        var rules = AlertRules(AlertsFile, "groups");
        Assert.NotEmpty(rules);
        var operations = Repo.Read("docs/operations.md");
        foreach (var rule in rules)
        {
            var name = rule.Str("alert");
            var expr = rule.Str("expr") ?? "";
            Assert.NotEmpty(PromQlMetricNames.Extract(expr));
            Assert.True(KnownMetrics.Unknown(expr).Count == 0, $"{name}: unknown metrics {string.Join(", ", KnownMetrics.Unknown(expr))}");
            Assert.Contains(rule.MapOrNull("labels")?.Str("severity"), (string[])["warning", "critical"]);
            var runbook = rule.MapOrNull("annotations")?.Str("runbook") ?? "";
            Assert.StartsWith("docs/operations.md#", runbook, StringComparison.Ordinal);
            var anchor = runbook["docs/operations.md#".Length..];
            Assert.True(operations.Contains($"### {anchor}", StringComparison.OrdinalIgnoreCase),
                $"{name}: docs/operations.md has no '### {anchor}' heading");
        }
    }

    [Fact]
    public void KubernetesPrometheusRule_HasTheSameRulesAsTheComposeAlerts()
    {
        var compose = AlertRules(AlertsFile, "groups");
        var k8s = AlertRules("k8s/base/prometheusrule.yaml", "spec", "groups");
        Assert.Equal(JsonSerializer.Serialize(compose), JsonSerializer.Serialize(k8s));
    }

    [Fact]
    public async Task Promtool_AcceptsTheConfigAndRules()
    {
        var promtool = Tool.Require("promtool", "apt-get install prometheus");
        var ct = TestContext.Current.CancellationToken;
        var dir = Repo.PathOf("infra/prometheus");
        var config = await Tool.RunAsync(promtool, ["check", "config", "prometheus.yml"], dir, ct);
        Assert.True(config.ExitCode == 0, config.Output);
        var rules = await Tool.RunAsync(promtool, ["check", "rules", "alerts.yml"], dir, ct);
        Assert.True(rules.ExitCode == 0, rules.Output);
    }

    [Fact]
    public async Task Promtool_AlertUnitTestsPass()
    {
        var promtool = Tool.Require("promtool", "apt-get install prometheus");
        var result = await Tool.RunAsync(promtool, ["test", "rules", "alerts.test.yml"], Repo.PathOf("infra/prometheus"),
            TestContext.Current.CancellationToken);
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("SUCCESS", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Promtool_ParsesEveryDashboardQuery()
    {
        var promtool = Tool.Require("promtool", "apt-get install prometheus");

        // promtool has no bare "parse this expression" command, so each query becomes a recording rule;
        // Grafana's variables are replaced by values Prometheus would accept.
        var yaml = new StringBuilder("groups:\n  - name: dashboards\n    rules:\n");
        var count = 0;
        foreach (var file in DashboardTests.DashboardFiles())
        {
            using var doc = JsonDocument.Parse(Repo.Read(file));
            foreach (var target in doc.RootElement.GetProperty("panels").EnumerateArray()
                         .Where(p => p.TryGetProperty("targets", out _))
                         .SelectMany(p => p.GetProperty("targets").EnumerateArray()))
            {
                var expr = target.GetProperty("expr").GetString()!
                    .Replace("$__rate_interval", "1m", StringComparison.Ordinal)
                    .Replace("$__interval", "15s", StringComparison.Ordinal)
                    .Replace("$service", ".*", StringComparison.Ordinal);
                yaml.Append(CultureInfo.InvariantCulture, $"      - record: dashboard:query{count++}\n        expr: {JsonSerializer.Serialize(expr)}\n");
            }
        }

        var path = Path.Combine(Path.GetTempPath(), $"streamrec-dashboard-rules-{Guid.NewGuid():N}.yml");
        try
        {
            await File.WriteAllTextAsync(path, yaml.ToString(), TestContext.Current.CancellationToken);
            var result = await Tool.RunAsync(promtool, ["check", "rules", path], Path.GetTempPath(), TestContext.Current.CancellationToken);
            Assert.True(result.ExitCode == 0, result.Output);
            Assert.Contains($"{count} rules found", result.Output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
