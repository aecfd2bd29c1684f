using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using StreamRec.Infra.Tests.Support;

namespace StreamRec.Infra.Tests.Docker;

/// <summary>
/// The one Dockerfile, checked once per image compose builds from it (each service and the CLI, the encoders also on
/// CUDA), read with that image's build arguments.
/// </summary>
public partial class DockerfileTests
{
    private const string Cli = "StreamRec.Cli";
    private const string Model = "all-MiniLM-L6-v2";

    private static readonly Dictionary<string, int> Ports = ServiceCatalog.All.Select(s => (s.Project, s.Port))
        .Append((Cli, 9400)).ToDictionary(p => p.Item1, p => p.Item2, StringComparer.Ordinal);

    public static TheoryData<string> ImageTags() => [.. ImageBuilds.All().Select(b => b.Image)];

    private static (ImageBuild Build, Dockerfile File) Load(string image)
    {
        var build = ImageBuilds.Of(image);
        return (build, Dockerfile.Parse(Repo.Read(build.Dockerfile), build.Args));
    }

    private static bool Encodes(string project) => project == Cli || ServiceCatalog.All.Any(s => s.Project == project && s.Encodes);

    [Fact]
    public void EveryServiceAndTheCli_IsBuiltFromTheOneDockerfile_AndOnlyTheEncodersOnCuda()
    {
        var builds = ImageBuilds.All();
        Assert.All(builds, b => Assert.Equal(ImageBuilds.Dockerfile, b.Dockerfile));
        string[] expected =
        [
            $"{Cli} cpu",
            .. ServiceCatalog.All.SelectMany(s => s.Encodes ? [$"{s.Project} cpu", $"{s.Project} gpu"] : new[] { $"{s.Project} cpu" }),
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), builds.Select(b => $"{b.Project} {(b.Gpu ? "gpu" : "cpu")}").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void NoServiceKeepsADockerfileOfItsOwn()
    {
        var copies = Repo.Files("services", "Dockerfile*")
            .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal));
        Assert.Empty(copies);
    }

    [Theory]
    [MemberData(nameof(ImageTags))]
    public void Dockerfile_IsMultiStage_WithPinnedImages(string image)
    {
        var (_, file) = Load(image);
        Assert.True(file.Froms.Count >= 2, $"{image}: single-stage build");
        var images = file.Froms.Select(file.ImageOf).OfType<string>().ToList();
        Assert.NotEmpty(images);
        Assert.Empty(images.Select(Images.PinningProblem).OfType<string>());
    }

    [Theory]
    [MemberData(nameof(ImageTags))]
    public void Dockerfile_BuildsWithTheSdkGlobalJsonPins(string image)
    {
        var (_, file) = Load(image);
        using var global = JsonDocument.Parse(Repo.Read("global.json"));
        var pinned = global.RootElement.GetProperty("sdk").GetProperty("version").GetString();
        var sdkImages = file.Froms.Select(file.ImageOf).OfType<string>()
            .Where(i => i.StartsWith("mcr.microsoft.com/dotnet/sdk:", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(sdkImages);
        Assert.All(sdkImages, i => Assert.StartsWith($"mcr.microsoft.com/dotnet/sdk:{pinned}", i, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(ImageTags))]
    public void Dockerfile_RestoresBeforeCopyingSources_ThenPublishesRelease(string image)
    {
        var (build, file) = Load(image);
        var csproj = $"services/{build.Project}/{build.Project}.csproj";
        var run = file.Instructions.Where(i => i.Keyword is "RUN" or "COPY").ToList();
        var restore = run.FindIndex(i => i.Keyword == "RUN" && i.Arguments.Contains($"dotnet restore {csproj}", StringComparison.Ordinal));
        var publish = run.FindIndex(i => i.Keyword == "RUN" && i.Arguments.Contains($"dotnet publish {csproj} -c Release", StringComparison.Ordinal));
        Assert.True(restore >= 0, $"{image}: no `dotnet restore {csproj}`");
        Assert.True(publish > restore, $"{image}: no `dotnet publish {csproj} -c Release` after the restore");
        var copyAll = run.FindIndex(restore, i => i.Keyword == "COPY" && i.Arguments == ". .");
        Assert.True(copyAll > restore && copyAll < publish, $"{image}: the sources must be copied after the restore layer");
        var gpu = $"-p:StreamRecGpu={(build.Gpu ? "true" : "false")}";
        Assert.Contains(gpu, run[restore].Arguments, StringComparison.Ordinal);
        Assert.Contains(gpu, run[publish].Arguments, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ImageTags))]
    public void FinalStage_RunsAsNonRoot_ExposesItsPort_AndChecksHealthz(string image)
    {
        var (build, file) = Load(image);
        var final = file.Chain(file.FinalStage).ToList();
        var port = Ports[build.Project].ToString(System.Globalization.CultureInfo.InvariantCulture);

        var user = final.LastOrDefault(i => i.Keyword == "USER")?.Arguments.Split(':')[0];
        Assert.NotNull(user);
        Assert.DoesNotContain(user, (string[])["root", "0"]);

        Assert.Contains(final, i => i.Keyword == "EXPOSE" && i.Arguments == port);
        var env = Dockerfile.EnvOf(final);
        Assert.Equal(port, env.GetValueOrDefault("StreamRec__Http__Port"));

        // The container's shell expands the check's variables from the image's ENV.
        var health = Dockerfile.ExpandEnv(Assert.IsType<Instruction>(final.LastOrDefault(i => i.Keyword == "HEALTHCHECK")).Arguments, env);
        Assert.Contains($"http://127.0.0.1:{port}/healthz", health, StringComparison.Ordinal);
        // The probe binary must come into the image: the aspnet base has no curl or wget.
        var probe = HealthProbe().Match(health);
        var binary = probe.Groups[1].Success ? probe.Groups[1].Value : probe.Groups[2].Value;
        Assert.Contains(final, i => i.Keyword == "COPY" && i.Arguments.EndsWith($" {binary}", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(ImageTags))]
    public void FinalStage_WritesOnlyToTmpDataAndModels(string image)
    {
        var (build, file) = Load(image);
        var env = Dockerfile.EnvOf(file.Chain(file.FinalStage));
        Assert.Equal("/models", env.GetValueOrDefault("StreamRec__Encoder__ModelsDirectory"));
        Assert.Equal("/data/vectors.db", env.GetValueOrDefault("StreamRec__VectorStore__Embedded__Path"));
        var offending = env.Keys.Where(k => k.StartsWith("StreamRec__", StringComparison.Ordinal) && !OptionsCatalog.IsKnownEnvironmentKey(k)).ToList();
        Assert.Empty(offending);
        var baseImage = file.BaseImageOf(file.FinalStage);
        if (build.Gpu)
        {
            Assert.Equal("Cuda", env.GetValueOrDefault("StreamRec__Encoder__Provider"));
            Assert.StartsWith("nvidia/cuda:12.", baseImage, StringComparison.Ordinal);
        }
        else
        {
            Assert.False(env.ContainsKey("StreamRec__Encoder__Provider"), $"{image}: the CPU image must not pick the encoder's provider");
            Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:", baseImage, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(ImageTags))]
    public void Image_CarriesTheModel_OnlyWhenItEncodes(string image)
    {
        var (build, file) = Load(image);
        var model = build.Args.GetValueOrDefault("MODEL") ?? "";
        Assert.Equal(Encodes(build.Project) ? Model : "", model);
        Assert.Contains(file.Chain(file.FinalStage), i => i.Keyword == "COPY" && i.Arguments.EndsWith(" /app-dirs/models /models", StringComparison.Ordinal));
        if (model.Length > 0)
        {
            Assert.Contains(file.Instructions, i => i.Keyword == "RUN"
                && i.Arguments.Replace("\"", "", StringComparison.Ordinal).Contains($"model fetch {model} --models-dir /app-dirs/models", StringComparison.Ordinal));
        }
    }

    [Theory]
    [MemberData(nameof(ImageTags))]
    public void Entrypoint_RunsTheProjectsAssembly(string image)
    {
        var (build, file) = Load(image);
        var csproj = Repo.PathOf($"services/{build.Project}/{build.Project}.csproj");
        if (!File.Exists(csproj))
        {
            Assert.Skip($"{build.Project}.csproj does not exist yet; its assembly name cannot be checked");
        }

        var assembly = XDocument.Load(csproj).Descendants("AssemblyName").FirstOrDefault()?.Value ?? build.Project;
        var final = file.Chain(file.FinalStage).ToList();
        var env = Dockerfile.EnvOf(final);
        var entrypoint = Assert.Single(final, i => i.Keyword == "ENTRYPOINT").Arguments;
        var words = JsonSerializer.Deserialize<string[]>(entrypoint) ?? [];
        var command = Dockerfile.ExpandEnv(string.Join(' ', words), env).Replace("\"", "", StringComparison.Ordinal);
        Assert.Contains($"dotnet {assembly}.dll", command, StringComparison.Ordinal);
        // Without arguments the CLI image is the all-in-one host; a service takes none.
        Assert.Equal(build.Project == Cli ? "run" : "", env.GetValueOrDefault("APP_COMMAND") ?? "");
    }

    [Fact]
    public void DockerIgnore_KeepsBuildOutputAndGitOutOfTheContext()
    {
        var lines = Repo.Read(".dockerignore").Split('\n').Select(l => l.Trim()).ToHashSet(StringComparer.Ordinal);
        Assert.Contains(".git", lines);
        Assert.Contains("**/bin/", lines);
        Assert.Contains("**/obj/", lines);
        Assert.DoesNotContain("global.json", lines);
        Assert.DoesNotContain("shared/", lines);
    }

    [Theory]
    [MemberData(nameof(ImageTags))]
    public void DockerIgnore_KeepsEveryProjectTheImageBuildsInTheContext(string image)
    {
        // Directory entries (".../") of .dockerignore: a project under one is missing from the build context.
        var ignored = Repo.Read(".dockerignore").Split('\n').Select(l => l.Trim())
            .Where(l => l.EndsWith('/') && !l.Contains('*', StringComparison.Ordinal)).ToArray();
        var built = Load(image).File.Instructions.Where(i => i.Keyword == "RUN")
            .SelectMany(i => CsprojPath().Matches(i.Arguments).Select(m => m.Value)).Distinct(StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(built);

        var needed = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(built);
        while (pending.TryPop(out var project))
        {
            if (!needed.Add(project))
            {
                continue;
            }

            var folder = Path.GetDirectoryName(project)!.Replace('\\', '/');
            foreach (var reference in XDocument.Load(Repo.PathOf(project)).Descendants("ProjectReference"))
            {
                var full = Path.GetFullPath(Path.Combine(Repo.PathOf(folder), reference.Attribute("Include")!.Value.Replace('\\', '/')));
                pending.Push(Path.GetRelativePath(Repo.Root, full).Replace('\\', '/'));
            }
        }

        var excluded = needed.Where(p => ignored.Any(i => p.StartsWith(i, StringComparison.Ordinal))).ToArray();
        Assert.Empty(excluded);
    }

    [GeneratedRegex(@"[\w./-]+\.csproj")]
    private static partial Regex CsprojPath();

    // Exec form (CMD ["wget", ...]) or shell form (CMD /usr/local/bin/wget ...).
    [GeneratedRegex(@"CMD (?:\[\s*""([^""]+)""|(\S+))")]
    private static partial Regex HealthProbe();
}
