using StreamRec.Infra.Tests.PromQl;
using StreamRec.Infra.Tests.Support;

namespace StreamRec.Infra.Tests.Docs;

public class DocsTests
{
    [Fact]
    public void OperationsGuide_DescribesEveryDeclaredMetric()
    {
        var rows = Repo.Read("docs/operations.md").Split('\n')
            .Where(l => l.StartsWith("| `streamrec_", StringComparison.Ordinal))
            .Select(l => l.Split('`')[1])
            .ToHashSet(StringComparer.Ordinal);
        var undocumented = KnownMetrics.Declared.Keys.Where(k => !rows.Contains(k)).ToList();
        var stale = rows.Where(r => !KnownMetrics.Declared.ContainsKey(r)).ToList();
        Assert.Empty(undocumented);
        Assert.Empty(stale);
    }

    [Fact]
    public void OperationsGuideAndReadme_NameEveryService()
    {
        var operations = Repo.Read("docs/operations.md");
        var readme = Repo.Read("README.md");
        foreach (var service in ServiceCatalog.All)
        {
            Assert.Contains($"`PROJECT={service.Project}`", operations, StringComparison.Ordinal);
            Assert.Contains($"`{service.Project}`", readme, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ScalingGuide_CoversPartitionsQdrantAndGpus()
    {
        var text = Repo.Read("docs/scaling.md");
        foreach (var term in (string[])["shard_number", "replication_factor", "write_consistency_factor", "maxReplicaCount", "user_id", "nvidia.com/gpu"])
        {
            Assert.Contains(term, text, StringComparison.Ordinal);
        }
    }
}
