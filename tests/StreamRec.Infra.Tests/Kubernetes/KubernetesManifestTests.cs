using StreamRec.Infra.Tests.Support;

namespace StreamRec.Infra.Tests.Kubernetes;

public class KubernetesManifestTests
{
    private static readonly Dictionary<string, int> Ports = ServiceCatalog.All.ToDictionary(s => s.Name, s => s.Port, StringComparer.Ordinal);

    private static readonly string[] EncodingServices = [.. ServiceCatalog.EncodingNames];

    public static TheoryData<string> Kustomizations() => Manifests.Kustomizations();

    public static TheoryData<string> YamlFiles() => [.. Repo.Files("k8s", "*.yaml")];

    private static Task<List<Dictionary<string, object?>>> Render(string kustomization) =>
        Manifests.RenderAsync(kustomization, TestContext.Current.CancellationToken);

    [Theory]
    [MemberData(nameof(YamlFiles))]
    public void EveryYamlFile_Parses_AndEveryObjectHasKindAndName(string file)
    {
        var docs = Yaml.LoadAllFile(file).OfType<Dictionary<string, object?>>().ToList();
        Assert.NotEmpty(docs);
        if (file.EndsWith("/kustomization.yaml", StringComparison.Ordinal))
        {
            return;
        }

        Assert.All(docs, d =>
        {
            Assert.False(string.IsNullOrEmpty(d.Str("kind")), $"{file}: object without kind");
            Assert.False(string.IsNullOrEmpty(d.At("metadata", "name") as string), $"{file}: object without name");
        });
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void Kustomization_ReferencesOnlyFilesThatExist(string kustomization)
    {
        var k = Yaml.LoadMap($"{kustomization}/kustomization.yaml");
        var missing = new List<string>();
        foreach (var resource in k.ListOrEmpty("resources").Cast<string>())
        {
            var path = Repo.PathOf($"{kustomization}/{resource}");
            if (!File.Exists(path) && !File.Exists(Path.Combine(path, "kustomization.yaml")))
            {
                missing.Add(resource);
            }
        }

        foreach (var patch in k.ListOrEmpty("patches").Select(p => p.Map()).Select(p => p.Str("path")).OfType<string>())
        {
            if (!File.Exists(Repo.PathOf($"{kustomization}/{patch}")))
            {
                missing.Add(patch);
            }
        }

        Assert.Empty(missing);
        Assert.DoesNotContain("secret.example.yaml", k.ListOrEmpty("resources"));
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task Deployments_ExistForEveryService(string kustomization)
    {
        var objects = await Render(kustomization);
        Assert.Equal(Ports.Keys.Order(StringComparer.Ordinal), objects.OfKind("Deployment").Select(d => d.Name()).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task EveryContainer_RunsNonRootReadOnlyWithoutPrivileges(string kustomization)
    {
        var objects = await Render(kustomization);
        var problems = new List<string>();
        foreach (var deployment in objects.OfKind("Deployment"))
        {
            var pod = deployment.PodSpec();
            var podSecurity = pod.MapOrNull("securityContext") ?? [];
            foreach (var container in pod.AllContainers())
            {
                var where = $"{deployment.Name()}/{container.Str("name")}";
                var sc = container.MapOrNull("securityContext") ?? [];
                string? Effective(string key) => sc.Str(key) ?? podSecurity.Str(key);
                if (Effective("runAsNonRoot") != "true")
                {
                    problems.Add($"{where}: runAsNonRoot is not true");
                }

                if (sc.Str("allowPrivilegeEscalation") != "false")
                {
                    problems.Add($"{where}: allowPrivilegeEscalation is not false");
                }

                if (sc.Str("readOnlyRootFilesystem") != "true")
                {
                    problems.Add($"{where}: readOnlyRootFilesystem is not true");
                }

                if (!(sc.At("capabilities", "drop") as List<object?> ?? []).Contains("ALL"))
                {
                    problems.Add($"{where}: capabilities are not all dropped");
                }

                if ((sc.At("seccompProfile", "type") ?? podSecurity.At("seccompProfile", "type")) as string != "RuntimeDefault")
                {
                    problems.Add($"{where}: seccompProfile is not RuntimeDefault");
                }

                if (container.At("resources", "requests", "memory") is null || container.At("resources", "limits", "memory") is null)
                {
                    problems.Add($"{where}: memory request and limit required");
                }

                var tmp = container.ListOrEmpty("volumeMounts").Select(m => m.Map()).FirstOrDefault(m => m.Str("mountPath") == "/tmp");
                var tmpVolume = pod.ListOrEmpty("volumes").Select(v => v.Map()).FirstOrDefault(v => v.Str("name") == tmp?.Str("name"));
                if (tmpVolume?.MapOrNull("emptyDir") is null)
                {
                    problems.Add($"{where}: /tmp is not an emptyDir (the root filesystem is read-only)");
                }
            }
        }

        Assert.Empty(problems);
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task Probes_HitHealthzAndReadyzOnThePortTheServiceListensOn(string kustomization)
    {
        var objects = await Render(kustomization);
        foreach (var deployment in objects.OfKind("Deployment"))
        {
            var name = deployment.Name();
            var container = deployment.PodSpec().ListOrEmpty("containers").Select(c => c.Map()).Single(c => c.Str("name") == name);
            var listens = container.ListOrEmpty("env").Select(e => e.Map()).Single(e => e.Str("name") == "StreamRec__Http__Port").Str("value");
            Assert.Equal(Ports[name].ToString(System.Globalization.CultureInfo.InvariantCulture), listens);

            int ResolvePort(string? port) => int.TryParse(port, out var n) ? n
                : int.Parse(container.ListOrEmpty("ports").Select(p => p.Map()).Single(p => p.Str("name") == port).Str("containerPort")!,
                    System.Globalization.CultureInfo.InvariantCulture);

            foreach (var (probe, path) in (ValueTuple<string, string>[])[("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")])
            {
                var get = container.At(probe, "httpGet").Map($"{name} {probe}.httpGet");
                Assert.Equal(path, get.Str("path"));
                Assert.Equal(Ports[name], ResolvePort(get.Str("port")));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task EveryStreamRecSetting_IsAKnownConfigurationKey(string kustomization)
    {
        var objects = await Render(kustomization);
        var keys = objects.OfKind("ConfigMap").SelectMany(c => c.MapOrNull("data")?.Keys ?? Enumerable.Empty<string>())
            .Concat(objects.OfKind("Deployment").SelectMany(d => d.PodSpec().AllContainers())
                .SelectMany(c => c.ListOrEmpty("env").Select(e => e.Map().Str("name")!)))
            .Where(k => k.StartsWith("StreamRec__", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(keys);
        Assert.Empty(keys.Where(k => !OptionsCatalog.IsKnownEnvironmentKey(k)).Distinct());
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task Credentials_ComeFromSecretKeyRefs_NeverFromTheConfigMap(string kustomization)
    {
        var objects = await Render(kustomization);
        string[] secretKeys = ["StreamRec__Kafka__Client__sasl.password", "StreamRec__VectorStore__Qdrant__ApiKey"];
        foreach (var container in objects.OfKind("Deployment").Select(d => d.PodSpec().ListOrEmpty("containers")[0].Map()))
        {
            foreach (var key in secretKeys)
            {
                var env = container.ListOrEmpty("env").Select(e => e.Map()).Single(e => e.Str("name") == key);
                Assert.NotNull(env.At("valueFrom", "secretKeyRef", "key"));
            }
        }

        var credentialsInConfig = objects.OfKind("ConfigMap").SelectMany(c => c.MapOrNull("data")?.Keys ?? Enumerable.Empty<string>())
            .Where(k => k.Contains("password", StringComparison.OrdinalIgnoreCase) || k.EndsWith("ApiKey", StringComparison.Ordinal)).ToList();
        Assert.Empty(credentialsInConfig);

        // Only the dev overlay generates a Secret, and only with empty values: real credentials never live in git.
        Assert.All(objects.OfKind("Secret"), s =>
            Assert.All((s.MapOrNull("data") ?? []).Values.Concat((s.MapOrNull("stringData") ?? []).Values), v => Assert.True(string.IsNullOrEmpty(v as string))));
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task EveryImage_IsPinnedToAVersion(string kustomization)
    {
        var objects = await Render(kustomization);
        var images = objects.OfKind("Deployment").SelectMany(d => d.PodSpec().AllContainers()).Select(c => c.Str("image")!).ToList();
        Assert.NotEmpty(images);
        Assert.Empty(images.Select(Images.PinningProblem).OfType<string>());
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task EachDeployment_HasAServiceAPodDisruptionBudgetAndALagScaler(string kustomization)
    {
        var objects = await Render(kustomization);
        var partitions = TopicPartitions();
        var groupPrefix = objects.OfKind("ConfigMap").Single(c => c.Name() == "streamrec-config")
            .At("data", "StreamRec__Kafka__GroupIdPrefix") as string;
        foreach (var (name, port, groupId, topics) in ServiceCatalog.All.Select(s => (s.Name, s.Port, s.GroupId, s.Topics)))
        {
            var service = objects.OfKind("Service").Single(s => s.Name() == name);
            Assert.Equal(name, service.At("spec", "selector", "app.kubernetes.io/name"));
            var servicePort = Assert.Single(service.At("spec", "ports") as List<object?> ?? []).Map();
            Assert.Equal(port.ToString(System.Globalization.CultureInfo.InvariantCulture), servicePort.Str("port"));
            Assert.Equal("http", servicePort.Str("name"));

            var pdb = objects.OfKind("PodDisruptionBudget").Single(p => p.Name() == name);
            Assert.Equal(name, pdb.At("spec", "selector", "matchLabels", "app.kubernetes.io/name"));

            var scaler = objects.OfKind("ScaledObject").Single(s => s.Name() == name);
            Assert.Equal(name, scaler.At("spec", "scaleTargetRef", "name"));
            var max = int.Parse((string)scaler.At("spec", "maxReplicaCount")!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(max, 1, partitions);
            var triggers = (scaler.At("spec", "triggers") as List<object?> ?? []).Select(t => t.Map()).ToList();
            Assert.All(triggers, t =>
            {
                Assert.Equal("kafka", t.Str("type"));
                Assert.Equal($"{groupPrefix}.{groupId}", t.At("metadata", "consumerGroup"));
            });
            // One trigger per topic the service's group reads: KEDA scales on the larger demand.
            Assert.Equal(topics.Order(StringComparer.Ordinal), triggers.Select(t => t.At("metadata", "topic") as string).Order(StringComparer.Ordinal));
        }
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task ServiceMonitor_ScrapesTheServicesMetricsPort(string kustomization)
    {
        var objects = await Render(kustomization);
        var monitor = Assert.Single(objects.OfKind("ServiceMonitor"));
        var selector = monitor.At("spec", "selector", "matchLabels").Map();
        var endpoint = Assert.Single(monitor.At("spec", "endpoints") as List<object?> ?? []).Map();
        Assert.Equal("/metrics", endpoint.Str("path"));
        foreach (var service in objects.OfKind("Service"))
        {
            var labels = service.At("metadata", "labels").Map();
            Assert.All(selector, kv => Assert.Equal(kv.Value, labels.GetValueOrDefault(kv.Key)));
            Assert.Contains(endpoint.Str("port"), (service.At("spec", "ports") as List<object?> ?? []).Select(p => p.Map().Str("name")));
        }
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task NetworkPolicies_DenyByDefault_AndAdmitMetricsOnlyFromMonitoring(string kustomization)
    {
        var policies = (await Render(kustomization)).OfKind("NetworkPolicy").ToList();
        var deny = policies.Single(p => p.Name() == "default-deny");
        Assert.Empty(deny.At("spec", "podSelector").Map());
        Assert.Equal(["Ingress", "Egress"], deny.At("spec", "policyTypes") as List<object?>);

        var ingress = policies.Where(p => (p.At("spec", "ingress") as List<object?>)?.Count > 0).ToList();
        var metrics = Assert.Single(ingress);
        var from = Assert.Single(Assert.Single(metrics.At("spec", "ingress") as List<object?> ?? []).Map().ListOrEmpty("from")).Map();
        Assert.Equal("monitoring", from.At("namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"));

        var egressPorts = policies.SelectMany(p => p.At("spec", "egress") as List<object?> ?? [])
            .SelectMany(e => e.Map().ListOrEmpty("ports")).Select(p => p.Map().Str("port")).ToHashSet();
        Assert.Contains("53", egressPorts);
        Assert.Contains("9092", egressPorts);
        // Qdrant over gRPC only: the REST port is not opened.
        Assert.Contains("6334", egressPorts);
        Assert.DoesNotContain("6333", egressPorts);
    }

    [Fact]
    public async Task GpuOverlay_GivesTheEncodingServicesOneGpuAndTheCudaImage()
    {
        var objects = await Render("k8s/overlays/gpu");
        foreach (var deployment in objects.OfKind("Deployment"))
        {
            var name = deployment.Name();
            var pod = deployment.PodSpec();
            var container = pod.ListOrEmpty("containers").Select(c => c.Map()).Single(c => c.Str("name") == name);
            var gpu = container.At("resources", "limits", "nvidia.com/gpu") as string;
            var provider = container.ListOrEmpty("env").Select(e => e.Map()).FirstOrDefault(e => e.Str("name") == "StreamRec__Encoder__Provider")?.Str("value");
            if (EncodingServices.Contains(name))
            {
                Assert.Equal("1", gpu);
                Assert.Equal("Cuda", provider);
                Assert.EndsWith("-gpu", container.Str("image"), StringComparison.Ordinal);
                Assert.Contains(pod.ListOrEmpty("tolerations"), t => t.Map().Str("key") == "nvidia.com/gpu");
                Assert.NotNull(pod.MapOrNull("nodeSelector"));
            }
            else
            {
                Assert.Null(gpu);
                Assert.DoesNotContain("-gpu", container.Str("image"), StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void SecretExample_HoldsOnlyPlaceholders_ForEveryReferencedKey()
    {
        var secret = Assert.Single(Yaml.LoadAllFile("k8s/base/secret.example.yaml")).Map();
        Assert.Equal("Secret", secret.Str("kind"));
        var data = secret.MapOrNull("stringData")!;
        Assert.Equal("change-me", data.Str("kafka-sasl-password"));
        Assert.Equal("change-me", data.Str("qdrant-api-key"));

        var baseObjects = Repo.Files("k8s/base", "*.yaml").SelectMany(Yaml.LoadAllFile).OfType<Dictionary<string, object?>>().ToList();
        var referenced = baseObjects.OfKind("Deployment")
            .SelectMany(d => d.PodSpec().AllContainers())
            .SelectMany(c => c.ListOrEmpty("env").Select(e => e.Map().At("valueFrom", "secretKeyRef", "key") as string))
            .Concat(baseObjects.OfKind("TriggerAuthentication").SelectMany(t => t.At("spec", "secretTargetRef") as List<object?> ?? [])
                .Select(r => r.Map().Str("key")))
            .OfType<string>().ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(referenced);
        var missing = referenced.Where(k => !data.ContainsKey(k)).ToList();
        Assert.Empty(missing);
    }

    /// <summary>The partition count the compose `setup` one-shot creates topics with.</summary>
    private static int TopicPartitions()
    {
        var command = Yaml.LoadMap("infra/docker-compose.yml").At("services", "setup", "command") as List<object?> ?? [];
        var at = command.IndexOf("--partitions");
        return int.Parse((string)command[at + 1]!, System.Globalization.CultureInfo.InvariantCulture);
    }
}
