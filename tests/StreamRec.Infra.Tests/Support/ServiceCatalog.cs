using StreamRec.Contracts;
using StreamRec.Pipeline.Options;

namespace StreamRec.Infra.Tests.Support;

/// <summary>
/// A deployable StreamRec service: its name (compose service, Kubernetes objects, the `service` label), its project
/// under services/, its metrics port, the consumer group and topics KEDA scales it on, and whether it encodes text
/// (only the encoders have a GPU variant). Every image is built from the one Dockerfile (<see cref="ImageBuilds"/>).
/// </summary>
public sealed record DeployableService(string Name, string Project, int Port, string GroupId, IReadOnlyList<string> Topics, bool Encodes);

/// <summary>
/// The services the Dockerfile, compose, Prometheus, Grafana, Kubernetes and docs tests check, one per role
/// (Services/ServiceCatalogTests fails when a role or a project under services/ is missing here).
/// </summary>
public static class ServiceCatalog
{
    public static IReadOnlyList<DeployableService> All { get; } =
    [
        new("item-indexer", "StreamRec.ItemIndexer", 9401, new ItemIndexerOptions().GroupId, [Topics.Items], Encodes: true),
        new("profile-updater", "StreamRec.ProfileUpdater", 9402, new ProfileUpdaterOptions().GroupId, [Topics.UserEvents], Encodes: true),
        new("recommender", "StreamRec.Recommender", 9403, new RecommenderOptions().GroupId, [Topics.UserVectors], Encodes: false),
        new("co-engagement-updater", "StreamRec.CoEngagementUpdater", 9404, new CoEngagementUpdaterOptions().GroupId, [Topics.Engagements], Encodes: false),
    ];

    public static IEnumerable<string> Names => All.Select(s => s.Name);

    public static IEnumerable<string> EncodingNames => All.Where(s => s.Encodes).Select(s => s.Name);
}
