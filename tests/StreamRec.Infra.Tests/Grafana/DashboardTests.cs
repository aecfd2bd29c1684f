using System.Text.Json;
using System.Text.RegularExpressions;
using StreamRec.Infra.Tests.PromQl;
using StreamRec.Infra.Tests.Support;

namespace StreamRec.Infra.Tests.Grafana;

public class DashboardTests
{
    public static TheoryData<string> DashboardFiles() => [.. Repo.Files("infra/grafana/dashboards", "*.json")];

    private static string ProvisionedDatasourceUid()
    {
        var ds = Yaml.LoadMap("infra/grafana/provisioning/datasources/prometheus.yml").ListOrEmpty("datasources");
        return Assert.Single(ds).Map().Str("uid") ?? throw new InvalidDataException("datasource without uid");
    }

    private static IEnumerable<JsonElement> Panels(JsonElement dashboard)
    {
        foreach (var panel in dashboard.GetProperty("panels").EnumerateArray())
        {
            yield return panel;
            if (panel.TryGetProperty("panels", out var nested))
            {
                foreach (var inner in nested.EnumerateArray())
                {
                    yield return inner;
                }
            }
        }
    }

    private static JsonDocument Load(string file) => JsonDocument.Parse(Repo.Read(file));

    [Fact]
    public void Dashboards_Exist()
    {
        Assert.True(DashboardFiles().Count >= 3, "expected the overview, encoder/store and quality dashboards");
    }

    [Theory]
    [MemberData(nameof(DashboardFiles))]
    public void Dashboard_IsAGrafanaDashboardModel(string file)
    {
        using var doc = Load(file);
        var root = doc.RootElement;
        Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("uid").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("title").GetString()));
        Assert.InRange(root.GetProperty("schemaVersion").GetInt32(), 36, 41);
        Assert.NotEmpty(Panels(root));
        foreach (var panel in Panels(root))
        {
            var pos = panel.GetProperty("gridPos");
            Assert.InRange(pos.GetProperty("w").GetInt32(), 1, 24);
            Assert.InRange(pos.GetProperty("x").GetInt32() + pos.GetProperty("w").GetInt32(), 1, 24);
            Assert.True(pos.GetProperty("h").GetInt32() > 0);
            Assert.True(pos.GetProperty("y").GetInt32() >= 0);
            Assert.False(string.IsNullOrWhiteSpace(panel.GetProperty("type").GetString()));
        }
    }

    [Fact]
    public void Dashboards_HaveDistinctUids()
    {
        var uids = DashboardFiles().Select(f =>
        {
            using var doc = Load(f);
            return doc.RootElement.GetProperty("uid").GetString();
        }).ToList();
        Assert.Equal(uids.Count, uids.Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [MemberData(nameof(DashboardFiles))]
    public void Dashboard_ServiceVariableOffersEveryService(string file)
    {
        using var doc = Load(file);
        var variable = doc.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray()
            .Single(v => v.GetProperty("name").GetString() == "service");
        foreach (var query in (string[])[variable.GetProperty("definition").GetString()!, variable.GetProperty("query").GetProperty("query").GetString()!])
        {
            var offered = Regex.Match(query, "service=~\"([^\"]+)\"").Groups[1].Value.Split('|');
            Assert.Equal(ServiceCatalog.Names.Order(StringComparer.Ordinal), offered.Order(StringComparer.Ordinal));
        }
    }

    [Theory]
    [MemberData(nameof(DashboardFiles))]
    public void Dashboard_PanelsDoNotOverlap(string file)
    {
        using var doc = Load(file);
        var boxes = doc.RootElement.GetProperty("panels").EnumerateArray().Select(p =>
        {
            var g = p.GetProperty("gridPos");
            return (Title: p.GetProperty("title").GetString(), X: g.GetProperty("x").GetInt32(), Y: g.GetProperty("y").GetInt32(),
                W: g.GetProperty("w").GetInt32(), H: g.GetProperty("h").GetInt32());
        }).ToList();
        for (var a = 0; a < boxes.Count; a++)
        {
            for (var b = a + 1; b < boxes.Count; b++)
            {
                var (p, q) = (boxes[a], boxes[b]);
                var overlap = p.X < q.X + q.W && q.X < p.X + p.W && p.Y < q.Y + q.H && q.Y < p.Y + p.H;
                Assert.False(overlap, $"'{p.Title}' overlaps '{q.Title}'");
            }
        }
    }

    [Theory]
    [MemberData(nameof(DashboardFiles))]
    public void Dashboard_EveryQueryUsesTheProvisionedDatasource(string file)
    {
        var uid = ProvisionedDatasourceUid();
        using var doc = Load(file);
        foreach (var panel in Panels(doc.RootElement).Where(p => p.GetProperty("type").GetString() != "row"))
        {
            var title = panel.GetProperty("title").GetString();
            Assert.Equal(uid, panel.GetProperty("datasource").GetProperty("uid").GetString());
            var targets = panel.GetProperty("targets").EnumerateArray().ToList();
            Assert.True(targets.Count > 0, $"panel '{title}' has no query");
            foreach (var target in targets)
            {
                Assert.Equal(uid, target.GetProperty("datasource").GetProperty("uid").GetString());
                Assert.False(string.IsNullOrWhiteSpace(target.GetProperty("expr").GetString()), $"panel '{title}' has an empty expr");
            }
        }

        foreach (var variable in doc.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray()
                     .Where(v => v.TryGetProperty("datasource", out _)))
        {
            Assert.Equal(uid, variable.GetProperty("datasource").GetProperty("uid").GetString());
        }
    }

    [Theory]
    [MemberData(nameof(DashboardFiles))]
    public void Dashboard_QueriesOnlyMetricsThatExist(string file)
    {
        using var doc = Load(file);
        var problems = new List<string>();
        var seen = 0;
        foreach (var panel in Panels(doc.RootElement).Where(p => p.TryGetProperty("targets", out _)))
        {
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                var expr = target.GetProperty("expr").GetString()!;
                var names = PromQlMetricNames.Extract(expr);
                seen += names.Count;
                problems.AddRange(names.Where(n => !KnownMetrics.IsKnown(n))
                    .Select(n => $"panel '{panel.GetProperty("title").GetString()}': {n}"));
            }
        }

        Assert.True(seen > 0, "no metric names found: the extractor or the file is broken");
        Assert.Empty(problems);
    }

    [Fact]
    public void Dashboards_TogetherChartEveryDeclaredMetric()
    {
        var used = DashboardFiles().SelectMany(f =>
        {
            using var doc = Load(f);
            return Panels(doc.RootElement).Where(p => p.TryGetProperty("targets", out _))
                .SelectMany(p => p.GetProperty("targets").EnumerateArray())
                .SelectMany(t => PromQlMetricNames.Extract(t.GetProperty("expr").GetString()!))
                .ToList();
        }).Select(n => PromQlMetricNames.FamilyName(n, f => KnownMetrics.Declared.ContainsKey(f))).ToHashSet(StringComparer.Ordinal);

        var offending = KnownMetrics.Declared.Keys.Where(k => !used.Contains(k)).ToList();
        Assert.Empty(offending);
    }

    [Fact]
    public void Provisioning_PointsGrafanaAtTheMountedDashboardsFolder()
    {
        var provider = Assert.Single(Yaml.LoadMap("infra/grafana/provisioning/dashboards/dashboards.yml").ListOrEmpty("providers")).Map();
        var path = provider.At("options", "path") as string;
        var compose = Yaml.LoadMap("infra/docker-compose.yml");
        var volumes = compose.At("services", "grafana").Map().ListOrEmpty("volumes").Cast<string>().ToList();
        Assert.Contains($"./grafana/dashboards:{path}:ro", volumes);
        Assert.Contains("./grafana/provisioning:/etc/grafana/provisioning:ro", volumes);
        var ds = Assert.Single(Yaml.LoadMap("infra/grafana/provisioning/datasources/prometheus.yml").ListOrEmpty("datasources")).Map();
        Assert.Equal("http://prometheus:9090", ds.Str("url"));
    }
}
