namespace StreamRec.Infra.Tests.Support;

/// <summary>An image compose builds: its tag, the Dockerfile, and the build arguments it passes.</summary>
public sealed record ImageBuild(string Image, string Dockerfile, IReadOnlyDictionary<string, string> Args)
{
    public string Project => Args.GetValueOrDefault("PROJECT") ?? "";

    public bool Gpu => Args.GetValueOrDefault("GPU") == "true";
}

/// <summary>
/// The StreamRec images as infra/docker-compose.yml and the GPU override build them: every one from the one Dockerfile
/// at the repository root, told by build arguments which service and which variant. The override's build is merged
/// over the base file's, arguments key by key, as compose merges them.
/// </summary>
public static class ImageBuilds
{
    public const string ComposeFile = "infra/docker-compose.yml";
    public const string GpuFile = "infra/docker-compose.gpu.yml";

    /// <summary>The Dockerfile of every StreamRec image, relative to the repository root (compose's build context).</summary>
    public const string Dockerfile = "Dockerfile";

    /// <summary>One entry per image tag; a tag built with two different sets of arguments is an error.</summary>
    public static IReadOnlyList<ImageBuild> All()
    {
        var baseServices = Services(ComposeFile);
        var builds = baseServices.Values.Select(s => Build(s, null))
            .Concat(Services(GpuFile).Select(kv => Build(baseServices.GetValueOrDefault(kv.Key), kv.Value)))
            .OfType<ImageBuild>();
        var byImage = new Dictionary<string, ImageBuild>(StringComparer.Ordinal);
        foreach (var build in builds)
        {
            if (byImage.TryGetValue(build.Image, out var seen) && !SameBuild(seen, build))
            {
                throw new InvalidDataException($"{build.Image} is built twice with different Dockerfiles or arguments");
            }

            byImage[build.Image] = build;
        }

        return [.. byImage.Values.OrderBy(b => b.Image, StringComparer.Ordinal)];
    }

    public static ImageBuild Of(string image) => All().Single(b => b.Image == image);

    private static Dictionary<string, object?> Services(string file) => Yaml.LoadMap(file).At("services").Map("services");

    private static ImageBuild? Build(object? service, object? overrides)
    {
        var merged = new Dictionary<string, object?>(StringComparer.Ordinal);
        var args = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in new[] { service, overrides }.OfType<Dictionary<string, object?>>())
        {
            if (part.Str("image") is { } image)
            {
                merged["image"] = image;
            }

            if (part.At("build") is Dictionary<string, object?> build)
            {
                foreach (var (key, value) in build)
                {
                    merged[key] = value;
                }

                foreach (var (key, value) in build.MapOrNull("args") ?? new Dictionary<string, object?>())
                {
                    args[key] = value as string ?? "";
                }
            }
        }

        return merged.Str("image") is { } tag && merged.Str("dockerfile") is { } dockerfile ? new ImageBuild(tag, dockerfile, args) : null;
    }

    private static bool SameBuild(ImageBuild a, ImageBuild b) =>
        a.Dockerfile == b.Dockerfile && a.Args.Count == b.Args.Count && a.Args.All(kv => b.Args.GetValueOrDefault(kv.Key) == kv.Value);
}
