using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamRec.Chaos;
using StreamRec.Contracts;
using StreamRec.Kafka.Configuration;
using StreamRec.Kafka.DependencyInjection;
using StreamRec.Reliability.Tests.InProcess;
using StreamRec.Reliability.Tests.Support;
using StreamRec.TestSupport;

namespace StreamRec.Reliability.Tests.Security;

/// <summary>
/// SASL/TLS settings reach every Kafka client, secrets never reach a log line, and the size limits are configurable.
/// The Qdrant API key metadata, the refusal of an API key over plain http and TLS with a private CA are covered by
/// StreamRec.VectorStore.Tests (QdrantVectorStoreTests.ApiKey_IsSentAsMetadata, ApiKeyOverPlainHttp_IsRefused*, QdrantTlsTests).
/// </summary>
public sealed class SecurityTests
{
    private const string SaslPassword = "sasl-S3cret-7f1c9d";
    private const string KeyPassword = "keypass-S3cret-a81b";
    private const string QdrantKey = "qdrant-S3cret-5e2f0a";

    private static readonly Dictionary<string, string?> SecureClient = new()
    {
        ["StreamRec:Kafka:Client:security.protocol"] = "SASL_SSL",
        ["StreamRec:Kafka:Client:sasl.mechanism"] = "SCRAM-SHA-512",
        ["StreamRec:Kafka:Client:sasl.username"] = "streamrec",
        ["StreamRec:Kafka:Client:sasl.password"] = SaslPassword,
        ["StreamRec:Kafka:Client:ssl.ca.location"] = "/etc/streamrec/kafka-ca.pem",
        ["StreamRec:Kafka:Client:ssl.key.password"] = KeyPassword,
    };

    [Fact]
    public void SaslAndTlsSettingsFromConfiguration_ReachProducerConsumerAndAdminConfigs()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(SecureClient).Build();
        using var provider = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddStreamRecKafka().BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<KafkaOptions>>().Value;

        ClientConfig[] configs = [KafkaConfigFactory.Producer(options), KafkaConfigFactory.Consumer(options, "profile-updater"), KafkaConfigFactory.Admin(options)];
        foreach (var config in configs)
        {
            var values = config.ToDictionary(kv => kv.Key, kv => kv.Value);
            foreach (var (key, value) in SecureClient)
            {
                var name = key["StreamRec:Kafka:Client:".Length..];
                Assert.True(values.TryGetValue(name, out var actual) && actual == value, $"{config.GetType().Name} lacks {name}");
            }
        }

        // Operator settings come last, so they win over StreamRec's own (e.g. a stricter acks is not silently undone).
        var overridden = new KafkaOptions { Client = { ["enable.idempotence"] = "true", ["client.id"] = "ops-chosen" } };
        Assert.Equal("ops-chosen", KafkaConfigFactory.Producer(overridden).ClientId);
    }

    [Fact]
    public async Task HostWithSecretsConfigured_NeverLogsThem()
    {
        await using var harness = new PipelineHarness(partitions: 1);
        var logs = new LogCapture();
        // The mock broker speaks PLAINTEXT, so the SASL credentials ride along without security.protocol: they still
        // pass through every code path that logs settings.
        var settings = new Dictionary<string, string?>
        {
            ["StreamRec:Kafka:Client:sasl.username"] = "streamrec",
            ["StreamRec:Kafka:Client:sasl.password"] = SaslPassword,
            ["StreamRec:Kafka:Client:ssl.key.password"] = KeyPassword,
            ["StreamRec:VectorStore:Qdrant:ApiKey"] = QdrantKey,
        };
        var app = await harness.StartHostAsync(services => CaptureEverything(services, logs), settings);
        using var kafka = new ChaosKafka(harness.Cluster.BootstrapServers, 1);
        var workload = new ChaosWorkload(seed: 41, events: 20);
        await InProcessHost.IndexItemsAsync(kafka, workload);
        kafka.Produce(workload.UserEvents);
        await kafka.ProduceRawAsync(Topics.UserEvents, "u", "{not json"u8.ToArray(), InProcessHost.Ct);
        await InProcessHost.WaitAllCommittedAsync(kafka);
        await harness.StopHostAsync(app);

        var all = logs.All;
        // The settings line was written, masked: the assertion below is not vacuous.
        Assert.Contains("sasl.password=" + Redact.Mask, all, StringComparison.Ordinal);
        Assert.Contains("Dead-lettered", all, StringComparison.Ordinal);
        foreach (var secret in new[] { SaslPassword, KeyPassword, QdrantKey })
        {
            Assert.DoesNotContain(secret, all, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task QdrantUnreachableWithApiKey_FailureLogsAndExceptionCarryNoKey()
    {
        await using var harness = new PipelineHarness(partitions: 1);
        var logs = new LogCapture();
        var settings = new Dictionary<string, string?>
        {
            ["StreamRec:VectorStore:Qdrant:Url"] = "http://127.0.0.1:9",
            ["StreamRec:VectorStore:Qdrant:ApiKey"] = QdrantKey,
            ["StreamRec:VectorStore:Qdrant:AllowApiKeyOverHttp"] = "true",
            ["StreamRec:VectorStore:Qdrant:MaxRetries"] = "1",
            ["StreamRec:VectorStore:Qdrant:AttemptTimeout"] = "00:00:01",
            ["StreamRec:VectorStore:Qdrant:TotalTimeout"] = "00:00:03",
        };
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => harness.StartHostAsync(services => CaptureEverything(services, logs), settings));
        Assert.DoesNotContain(QdrantKey, failure.ToString(), StringComparison.Ordinal);
        Assert.NotEmpty(logs.Lines);
        Assert.DoesNotContain(QdrantKey, logs.All, StringComparison.Ordinal);

        // Without the explicit allowance, an API key over plain http stops the host at start, naming the option, not the key.
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => harness.StartHostAsync(
            services => CaptureEverything(services, logs),
            new Dictionary<string, string?>(settings) { ["StreamRec:VectorStore:Qdrant:AllowApiKeyOverHttp"] = "false" }));
        Assert.Contains("AllowApiKeyOverHttp", refused.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(QdrantKey, refused.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Limits_TextLengthMessageSizeAndBatchSize_AreConfigurable()
    {
        await using var harness = new PipelineHarness(partitions: 2);
        using var kafka = new ChaosKafka(harness.Cluster.BootstrapServers, 2);
        var workload = new ChaosWorkload(seed: 42, events: 60, users: 30);
        // Everything is in the topics before the host starts, so without a batch limit the first batches would be large.
        kafka.Produce(workload.Items);
        kafka.Produce(workload.UserEvents);
        var longText = await kafka.ProduceRawAsync(Topics.UserEvents, "lim-1", System.Text.Encoding.UTF8.GetBytes(
            $$"""{"schema":"streamrec.review/v1","event_id":"lim-1","occurred_at":"2025-06-01T09:00:00Z","user_id":"lim-1","item_id":"space-1","text":"{{new string('w', 100)}}"}"""), InProcessHost.Ct);
        var bigMessage = await kafka.ProduceRawAsync(Topics.UserEvents, "lim-2", System.Text.Encoding.UTF8.GetBytes(
            $$$"""{"schema":"streamrec.click/v1","event_id":"lim-2","occurred_at":"2025-06-01T09:00:00Z","user_id":"lim-2","item_id":"space-1","context":{"pad":"{{{new string('p', 5000)}}}"}}"""), InProcessHost.Ct);

        FlakyVectorStore? store = null;
        var app = await harness.StartHostAsync(FlakyVectorStore.Decorate(s => store = s), new Dictionary<string, string?>
        {
            ["StreamRec:Limits:MaxTextLength"] = "80", // the catalog texts are up to 54 characters; the review above has 100
            ["StreamRec:Kafka:MaxMessageBytes"] = "4096",
            ["StreamRec:Kafka:MaxBatchSize"] = "3",
            ["StreamRec:ProfileUpdater:ItemNotReadyMaxAttempts"] = "1000",
        });
        await InProcessHost.WaitAllCommittedAsync(kafka);
        await harness.StopHostAsync(app);

        var letters = kafka.ReadAll(Topics.DeadLetter);
        // The user-events topic has two consumer groups (profile-updater, trending counter): the profile-updater owns its
        // bad input, so the oversized click makes one dead letter, not two.
        Assert.Single(letters, r => PipelineHarness.Header(r, "source-topic") == Topics.UserEvents
                                    && PipelineHarness.Header(r, "source-offset") == bigMessage.Offset.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var dead = letters
            .GroupBy(r => PipelineHarness.Header(r, "source-topic") + "@" + PipelineHarness.Header(r, "source-offset"))
            .ToDictionary(g => g.Key, g => PipelineHarness.Header(g.First(), "error"));
        Assert.StartsWith("TextTooLong", dead[$"{Topics.UserEvents}@{longText.Offset.Value}"], StringComparison.Ordinal);
        Assert.StartsWith("TooLarge: message is ", dead[$"{Topics.UserEvents}@{bigMessage.Offset.Value}"], StringComparison.Ordinal);
        Assert.EndsWith("the limit is 4096 (StreamRec:Kafka:MaxMessageBytes)", dead[$"{Topics.UserEvents}@{bigMessage.Offset.Value}"], StringComparison.Ordinal);
        Assert.InRange(store!.LargestUsersWrite, 1, 3);
    }

    private static void CaptureEverything(IServiceCollection services, LogCapture logs)
    {
        services.AddSingleton<ILoggerProvider>(logs);
        services.Configure<LoggerFilterOptions>(o => o.Rules.Add(new LoggerFilterRule(typeof(LogCapture).FullName, null, LogLevel.Trace, null)));
    }
}
