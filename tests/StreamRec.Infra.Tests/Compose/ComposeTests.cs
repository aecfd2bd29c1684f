using StreamRec.Infra.Tests.Support;

namespace StreamRec.Infra.Tests.Compose;

public class ComposeTests
{
    private const string ComposeFile = ImageBuilds.ComposeFile;
    private const string GpuFile = ImageBuilds.GpuFile;

    private static readonly Dictionary<string, (int Port, string Project)> StreamRecServices =
        ServiceCatalog.All.ToDictionary(s => s.Name, s => (s.Port, s.Project), StringComparer.Ordinal);

    private static Dictionary<string, object?> Services(string file) => Yaml.LoadMap(file).At("services").Map("services");

    public static TheoryData<string> ComposeFiles() => [ComposeFile, GpuFile];

    [Theory]
    [MemberData(nameof(ComposeFiles))]
    public void ComposeFile_ParsesWithServices(string file)
    {
        Assert.NotEmpty(Services(file));
    }

    [Fact]
    public void Compose_RunsTheWholeStack()
    {
        var services = Services(ComposeFile);
        string[] expected = ["kafka", "qdrant", "prometheus", "grafana", "model-init", "setup", "replay", .. StreamRecServices.Keys];
        var offending = expected.Where(s => !services.ContainsKey(s)).ToList();
        Assert.Empty(offending);
    }

    [Fact]
    public void Qdrant_ExposesItsGrpcPort_WhichTheServicesUse_AndIsHealthChecked()
    {
        var qdrant = Services(ComposeFile)["qdrant"].Map();
        Assert.Contains("6334:6334", qdrant.ListOrEmpty("ports"));
        Assert.NotNull(qdrant.MapOrNull("healthcheck"));
    }

    [Theory]
    [MemberData(nameof(ComposeFiles))]
    public void EveryImage_IsPinnedToAVersion(string file)
    {
        var problems = Services(file).Select(kv => (kv.Key, Image: kv.Value.Map().Str("image")))
            .Select(s => s.Image is null ? $"{s.Key}: no image" : Images.PinningProblem(s.Image))
            .OfType<string>();
        Assert.Empty(problems);
    }

    [Theory]
    [MemberData(nameof(ComposeFiles))]
    public void EveryStreamRecSetting_IsAKnownConfigurationKey(string file)
    {
        var keys = Services(file).Values.Select(s => s.Map().MapOrNull("environment"))
            .OfType<Dictionary<string, object?>>()
            .SelectMany(env => env.Keys)
            .Where(k => k.StartsWith("StreamRec__", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(keys);
        Assert.Empty(keys.Where(k => !OptionsCatalog.IsKnownEnvironmentKey(k)).Distinct());
    }

    [Fact]
    public void StreamRecServices_AreHardenedBuiltAndWired()
    {
        var services = Services(ComposeFile);
        foreach (var (name, (port, project)) in StreamRecServices)
        {
            var svc = services[name].Map();
            Assert.Equal("true", svc.Str("read_only"));
            Assert.Contains("ALL", svc.ListOrEmpty("cap_drop"));
            Assert.Contains("/tmp", svc.ListOrEmpty("tmpfs"));
            Assert.Equal(ImageBuilds.Dockerfile, svc.At("build", "dockerfile"));
            Assert.Equal("..", svc.At("build", "context"));
            Assert.Equal(project, svc.At("build", "args", "PROJECT"));
            Assert.Equal(port.ToString(System.Globalization.CultureInfo.InvariantCulture), svc.At("build", "args", "PORT"));

            var env = svc.MapOrNull("environment")!;
            Assert.Equal(port.ToString(System.Globalization.CultureInfo.InvariantCulture), env.Str("StreamRec__Http__Port"));
            Assert.Equal("kafka:9092", env.Str("StreamRec__Kafka__BootstrapServers"));
            Assert.Equal("http://qdrant:6334", env.Str("StreamRec__VectorStore__Qdrant__Url"));
            Assert.Contains($"{port}:{port}", svc.ListOrEmpty("ports"));

            var test = string.Join(' ', svc.At("healthcheck", "test") as List<object?> ?? []);
            Assert.Contains($"http://127.0.0.1:{port}/healthz", test, StringComparison.Ordinal);

            var depends = svc.MapOrNull("depends_on")!;
            Assert.Equal("service_healthy", depends.At("kafka", "condition"));
            Assert.Equal("service_healthy", depends.At("qdrant", "condition"));
            Assert.Equal("service_completed_successfully", depends.At("setup", "condition"));
            Assert.Equal("service_completed_successfully", depends.At("model-init", "condition"));
        }
    }

    [Fact]
    public void DependsOn_NamesExistingServices_WithValidConditions()
    {
        var services = Services(ComposeFile);
        string[] conditions = ["service_started", "service_healthy", "service_completed_successfully"];
        foreach (var (name, svc) in services)
        {
            foreach (var (dependency, spec) in svc.Map().MapOrNull("depends_on") ?? new Dictionary<string, object?>())
            {
                Assert.True(services.ContainsKey(dependency), $"{name} depends on unknown {dependency}");
                Assert.Contains(spec.At("condition") as string, conditions);
                if (spec.At("condition") as string == "service_healthy")
                {
                    Assert.True(services[dependency].Map().MapOrNull("healthcheck") is { } hc && hc.Str("disable") != "true",
                        $"{name} waits for {dependency} to be healthy, but it has no healthcheck");
                }
            }
        }
    }

    [Fact]
    public void OneShots_CreateTopicsFetchTheModelAndReplay()
    {
        var services = Services(ComposeFile);
        string Command(string s) => string.Join(' ', services[s].Map().ListOrEmpty("command"));
        Assert.StartsWith("topics ensure --partitions 6 --bootstrap kafka:9092", Command("setup"), StringComparison.Ordinal);
        Assert.StartsWith("model fetch all-MiniLM-L6-v2", Command("model-init"), StringComparison.Ordinal);
        Assert.StartsWith("replay movielens --limit 20000 --rate 200 --bootstrap kafka:9092", Command("replay"), StringComparison.Ordinal);
        Assert.Contains("models:/models", services["model-init"].Map().ListOrEmpty("volumes"));
        // The replay starts once every service is up, so no part of the pipeline misses its first events.
        Assert.All(StreamRecServices.Keys, s => Assert.Equal("service_healthy", services["replay"].At("depends_on", s, "condition")));
        foreach (var oneShot in (string[])["model-init", "setup", "replay"])
        {
            Assert.Equal("no", services[oneShot].Map().Str("restart"));
            Assert.Equal(ImageBuilds.Dockerfile, services[oneShot].At("build", "dockerfile"));
            Assert.Equal("StreamRec.Cli", services[oneShot].At("build", "args", "PROJECT"));
        }
    }

    [Fact]
    public void Kafka_RunsInKRaftModeWithoutAutoCreatedTopics()
    {
        var env = Services(ComposeFile)["kafka"].Map().MapOrNull("environment")!;
        Assert.Equal("broker,controller", env.Str("KAFKA_PROCESS_ROLES"));
        Assert.Equal("false", env.Str("KAFKA_AUTO_CREATE_TOPICS_ENABLE"));
        Assert.Contains("PLAINTEXT://kafka:9092", env.Str("KAFKA_ADVERTISED_LISTENERS"), StringComparison.Ordinal);
    }

    [Fact]
    public void GpuOverride_ReservesOneNvidiaGpuForTheEncodingServices()
    {
        var services = Services(GpuFile);
        Assert.Equal(ServiceCatalog.EncodingNames.Order(StringComparer.Ordinal), services.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, svc) in services)
        {
            var device = Assert.Single(svc.At("deploy", "resources", "reservations", "devices") as List<object?> ?? []).Map();
            Assert.Equal("nvidia", device.Str("driver"));
            Assert.Equal("1", device.Str("count"));
            Assert.Contains("gpu", device.ListOrEmpty("capabilities"));
            Assert.Equal("Cuda", svc.At("environment", "StreamRec__Encoder__Provider"));
            Assert.Equal(ImageBuilds.Dockerfile, svc.At("build", "dockerfile"));
            Assert.Equal("true", svc.At("build", "args", "GPU"));
            Assert.EndsWith("-gpu", svc.Map().Str("image"), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void EveryBuild_PointsAtAnExistingDockerfile()
    {
        var builds = ImageBuilds.All().Select(b => b.Dockerfile).ToList();
        Assert.NotEmpty(builds);
        var offending = builds.Where(d => !File.Exists(Repo.PathOf(d))).ToList();
        Assert.Empty(offending);
    }
}
