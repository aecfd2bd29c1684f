using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using StreamRec.Infra.Tests.Support;

namespace StreamRec.Infra.Tests.Docker;

public partial class DockerfileTests
{
    private static readonly Dictionary<string, int> Ports = ServiceCatalog.All.Select(s => (s.Project, s.Port))
        .Append(("StreamRec.Cli", 9400)).ToDictionary(p => p.Item1, p => p.Item2, StringComparer.Ordinal);

    private static IEnumerable<string> Dockerfiles() =>
        Repo.Files("services", "Dockerfile*").Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal));

    public static TheoryData<string> DockerfilePaths() => [.. Dockerfiles()];

    private static Dockerfile Load(string path) => Dockerfile.Parse(Repo.Read(path));

    private static string ProjectOf(string path) => path.Split('/')[1];

    private static bool IsGpu(string path) => path.EndsWith(".gpu", StringComparison.Ordinal);

    [Fact]
    public void EveryServiceAndTheCli_HasADockerfile_AndOnlyTheEncodersAGpuVariant()
    {
        string[] expected =
        [
            "services/StreamRec.Cli/Dockerfile",
            .. ServiceCatalog.All.SelectMany(s => s.Encodes ? [s.Dockerfile, s.Dockerfile + ".gpu"] : new[] { s.Dockerfile }),
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), Dockerfiles().Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(DockerfilePaths))]
    public void Dockerfile_IsMultiStage_WithPinnedImages(string path)
    {
        var file = Load(path);
        Assert.True(file.Froms.Count >= 2, $"{path}: single-stage build");
        var images = file.Froms.Select(file.ImageOf).OfType<string>().ToList();
        Assert.NotEmpty(images);
        Assert.Empty(images.Select(Images.PinningProblem).OfType<string>());
    }

    [Theory]
    [MemberData(nameof(DockerfilePaths))]
    public void Dockerfile_BuildsWithTheSdkGlobalJsonPins(string path)
    {
        var file = Load(path);
        using var global = JsonDocument.Parse(Repo.Read("global.json"));
        var pinned = global.RootElement.GetProperty("sdk").GetProperty("version").GetString();
        var sdkImages = file.Froms.Select(file.ImageOf).OfType<string>()
            .Where(i => i.StartsWith("mcr.microsoft.com/dotnet/sdk:", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(sdkImages);
        Assert.All(sdkImages, i => Assert.StartsWith($"mcr.microsoft.com/dotnet/sdk:{pinned}", i, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(DockerfilePaths))]
    public void Dockerfile_RestoresBeforeCopyingSources_ThenPublishesRelease(string path)
    {
        var file = Load(path);
        var project = ProjectOf(path);
        var csproj = $"services/{project}/{project}.csproj";
        var run = file.Instructions.Where(i => i.Keyword is "RUN" or "COPY").ToList();
        var restore = run.FindIndex(i => i.Keyword == "RUN" && i.Arguments.Contains($"dotnet restore {csproj}", StringComparison.Ordinal));
        var publish = run.FindIndex(i => i.Keyword == "RUN" && i.Arguments.Contains($"dotnet publish {csproj} -c Release", StringComparison.Ordinal));
        Assert.True(restore >= 0, $"{path}: no `dotnet restore {csproj}`");
        Assert.True(publish > restore, $"{path}: no `dotnet publish {csproj} -c Release` after the restore");
        var copyAll = run.FindIndex(restore, i => i.Keyword == "COPY" && i.Arguments == ". .");
        Assert.True(copyAll > restore && copyAll < publish, $"{path}: the sources must be copied after the restore layer");
        if (IsGpu(path))
        {
            Assert.Contains("-p:StreamRecGpu=true", run[restore].Arguments, StringComparison.Ordinal);
            Assert.Contains("-p:StreamRecGpu=true", run[publish].Arguments, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(DockerfilePaths))]
    public void FinalStage_RunsAsNonRoot_ExposesItsPort_AndChecksHealthz(string path)
    {
        var file = Load(path);
        var final = file.InStage(file.FinalStage).ToList();
        var port = Ports[ProjectOf(path)];

        var user = final.LastOrDefault(i => i.Keyword == "USER")?.Arguments.Split(':')[0];
        Assert.NotNull(user);
        Assert.DoesNotContain(user, (string[])["root", "0"]);

        Assert.Contains(final, i => i.Keyword == "EXPOSE" && i.Arguments == port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var env = Env(final);
        Assert.Equal(port.ToString(System.Globalization.CultureInfo.InvariantCulture), env.GetValueOrDefault("StreamRec__Http__Port"));

        var health = Assert.Single(final, i => i.Keyword == "HEALTHCHECK").Arguments;
        Assert.Contains($"http://127.0.0.1:{port}/healthz", health, StringComparison.Ordinal);
        // The probe binary must come into the image: the aspnet base has no curl or wget.
        var probe = HealthProbe().Match(health).Groups[1].Value;
        Assert.Contains(final, i => i.Keyword == "COPY" && i.Arguments.EndsWith($" {probe}", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(DockerfilePaths))]
    public void FinalStage_WritesOnlyToTmpDataAndModels(string path)
    {
        var file = Load(path);
        var env = Env(file.InStage(file.FinalStage));
        Assert.Equal("/models", env.GetValueOrDefault("StreamRec__Encoder__ModelsDirectory"));
        Assert.Equal("/data/vectors.db", env.GetValueOrDefault("StreamRec__VectorStore__Embedded__Path"));
        var offending = env.Keys.Where(k => k.StartsWith("StreamRec__", StringComparison.Ordinal) && !OptionsCatalog.IsKnownEnvironmentKey(k)).ToList();
        Assert.Empty(offending);
        if (IsGpu(path))
        {
            Assert.Equal("Cuda", env.GetValueOrDefault("StreamRec__Encoder__Provider"));
            Assert.StartsWith("nvidia/cuda:12.", file.ImageOf(file.Froms[file.FinalStage]), StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(DockerfilePaths))]
    public void Entrypoint_RunsTheProjectsAssembly(string path)
    {
        var file = Load(path);
        var project = ProjectOf(path);
        var csproj = Repo.PathOf($"services/{project}/{project}.csproj");
        if (!File.Exists(csproj))
        {
            Assert.Skip($"{project}.csproj does not exist yet; its assembly name cannot be checked");
        }

        var assembly = XDocument.Load(csproj).Descendants("AssemblyName").FirstOrDefault()?.Value ?? project;
        var entrypoint = Assert.Single(file.InStage(file.FinalStage), i => i.Keyword == "ENTRYPOINT").Arguments;
        Assert.Equal($"[\"dotnet\", \"{assembly}.dll\"]", entrypoint);
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
    [MemberData(nameof(DockerfilePaths))]
    public void DockerIgnore_KeepsEveryProjectTheImageBuildsInTheContext(string path)
    {
        // Directory entries (".../") of .dockerignore: a project under one is missing from the build context.
        var ignored = Repo.Read(".dockerignore").Split('\n').Select(l => l.Trim())
            .Where(l => l.EndsWith('/') && !l.Contains('*', StringComparison.Ordinal)).ToArray();
        var built = Load(path).Instructions.Where(i => i.Keyword == "RUN")
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

    private static Dictionary<string, string> Env(IEnumerable<Instruction> stage)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in stage.Where(i => i.Keyword == "ENV").SelectMany(i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                env[pair[..eq]] = pair[(eq + 1)..];
            }
        }

        return env;
    }

    [GeneratedRegex(@"[\w./-]+\.csproj")]
    private static partial Regex CsprojPath();

    [GeneratedRegex("CMD \\[\"([^\"]+)\"")]
    private static partial Regex HealthProbe();
}
