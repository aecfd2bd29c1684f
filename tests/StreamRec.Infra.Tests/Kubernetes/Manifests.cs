using StreamRec.Infra.Tests.Support;

namespace StreamRec.Infra.Tests.Kubernetes;

/// <summary>The Kubernetes objects a kustomization produces.</summary>
public static class Manifests
{
    public const string Base = "k8s/base";

    public static TheoryData<string> Kustomizations() => [Base, "k8s/overlays/dev", "k8s/overlays/gpu"];

    /// <summary>
    /// With kubectl: what `kubectl kustomize` renders (patches, generators, namespaces applied). Without it the
    /// base is read file by file from its resources list, and an overlay skips the test.
    /// </summary>
    public static async Task<List<Dictionary<string, object?>>> RenderAsync(string kustomization, CancellationToken cancellationToken)
    {
        // One kubectl run per kustomization for the whole test run; each caller gets its own parse of the output.
        var rendered = await Rendered.GetOrAdd(kustomization, k => new Lazy<Task<string?>>(() => RenderTextAsync(k, cancellationToken))).Value;
        if (rendered is not null)
        {
            return Objects(Yaml.LoadAll(rendered));
        }

        if (kustomization != Base)
        {
            Assert.Skip($"kubectl is not installed: {kustomization} cannot be rendered here (the base is still checked file by file)");
        }

        var resources = Yaml.LoadMap($"{Base}/kustomization.yaml").ListOrEmpty("resources").Cast<string>();
        return Objects(resources.SelectMany(r => Yaml.LoadAllFile($"{Base}/{r}")));
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task<string?>>> Rendered = new(StringComparer.Ordinal);

    private static async Task<string?> RenderTextAsync(string kustomization, CancellationToken cancellationToken)
    {
        var kubectl = Tool.Find("kubectl");
        if (kubectl is not null)
        {
            var (exitCode, output) = await Tool.RunAsync(kubectl, ["kustomize", Repo.PathOf(kustomization)], Repo.Root, cancellationToken);
            Assert.True(exitCode == 0, $"kubectl kustomize {kustomization} failed:\n{output}");
            return output;
        }

        return null;
    }

    public static IEnumerable<Dictionary<string, object?>> OfKind(this IEnumerable<Dictionary<string, object?>> objects, string kind) =>
        objects.Where(o => o.Str("kind") == kind);

    public static string Name(this Dictionary<string, object?> obj) => (string)obj.At("metadata", "name")!;

    public static Dictionary<string, object?> PodSpec(this Dictionary<string, object?> deployment) =>
        deployment.At("spec", "template", "spec").Map("pod spec");

    /// <summary>Containers and init containers of a pod spec.</summary>
    public static IEnumerable<Dictionary<string, object?>> AllContainers(this Dictionary<string, object?> podSpec) =>
        podSpec.ListOrEmpty("initContainers").Concat(podSpec.ListOrEmpty("containers")).Select(c => c.Map());

    private static List<Dictionary<string, object?>> Objects(IEnumerable<object?> docs) =>
        [.. docs.OfType<Dictionary<string, object?>>()];
}
