using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StreamRec.Kafka.Configuration;
using StreamRec.Kafka.Consuming;
using StreamRec.Kafka.DependencyInjection;
using StreamRec.Kafka.Producing;

namespace StreamRec.Kafka.Tests.Configuration;

public sealed class KafkaConfigurationTests
{
    [Theory]
    [InlineData("sasl.password")]
    [InlineData("ssl.key.password")]
    [InlineData("sasl.oauthbearer.client.secret")]
    [InlineData("ssl.key.pem")]
    [InlineData("SASL.PASSWORD")]
    public void Redact_MasksSecretKeys(string key)
    {
        Assert.True(Redact.IsSecret(key));
        Assert.Equal(Redact.Mask, Redact.Value(key, "hunter2"));
    }

    [Theory]
    [InlineData("security.protocol")]
    [InlineData("sasl.mechanism")]
    [InlineData("sasl.username")]
    [InlineData("ssl.ca.location")]
    public void Redact_KeepsOrdinarySettings(string key) => Assert.Equal("visible", Redact.Value(key, "visible"));

    [Fact]
    public void Redact_LogString_NeverContainsASecretValue()
    {
        var settings = new Dictionary<string, string>
        {
            ["security.protocol"] = "SASL_SSL",
            ["sasl.username"] = "svc",
            ["sasl.password"] = "p@ss-1",
            ["sasl.oauthbearer.client.secret"] = "s3cr3t",
        };
        var line = Redact.ToLogString(settings);
        Assert.DoesNotContain("p@ss-1", line, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", line, StringComparison.Ordinal);
        Assert.Contains("security.protocol=SASL_SSL", line, StringComparison.Ordinal);
        Assert.Contains("sasl.username=svc", line, StringComparison.Ordinal);
        Assert.Contains($"sasl.password={Redact.Mask}", line, StringComparison.Ordinal);
    }

    [Fact]
    public void ConfigFactory_AppliesSafeDefaults_AndPassesClientSettingsThrough()
    {
        var options = new KafkaOptions
        {
            BootstrapServers = "kafka-1:9093",
            Client = new() { ["security.protocol"] = "SASL_SSL", ["sasl.mechanism"] = "SCRAM-SHA-512", ["sasl.username"] = "u", ["sasl.password"] = "p", ["linger.ms"] = "50" },
        };

        var producer = KafkaConfigFactory.Producer(options);
        Assert.Equal("kafka-1:9093", producer.BootstrapServers);
        Assert.True(producer.EnableIdempotence);
        Assert.Equal(Acks.All, producer.Acks);
        Assert.Equal("SASL_SSL", producer.Get("security.protocol"));
        Assert.Equal("p", producer.SaslPassword);
        Assert.Equal(50, producer.LingerMs); // Client overrides StreamRec's own default

        var consumer = KafkaConfigFactory.Consumer(options, "profile-updater");
        Assert.Equal("streamrec.profile-updater", consumer.GroupId);
        Assert.False(consumer.EnableAutoOffsetStore);
        Assert.True(consumer.EnableAutoCommit);
        Assert.Equal(PartitionAssignmentStrategy.CooperativeSticky, consumer.PartitionAssignmentStrategy);
        Assert.Equal(45_000, consumer.SessionTimeoutMs);
        Assert.Equal(300_000, consumer.MaxPollIntervalMs);
        Assert.Equal(10, consumer.FetchWaitMaxMs);
        Assert.Equal("SCRAM-SHA-512", consumer.Get("sasl.mechanism"));
        Assert.Equal(5, KafkaConfigFactory.Consumer(new KafkaOptions { FetchWaitMax = TimeSpan.FromMilliseconds(5) }, "g").FetchWaitMaxMs);

        Assert.Equal("u", KafkaConfigFactory.Admin(options).SaslUsername);
    }

    [Fact]
    public void AddStreamRecKafka_RegistersOneProducerAndTheDeadLetterPublisher()
    {
        var services = new ServiceCollection();
        services.AddStreamRecKafka();
        services.AddStreamRecKafka();
        Assert.Single(services, d => d.ServiceType == typeof(KafkaProducer) && d.Lifetime == ServiceLifetime.Singleton);
        Assert.Single(services, d => d.ServiceType == typeof(DeadLetterPublisher) && d.Lifetime == ServiceLifetime.Singleton);
    }

    [Fact]
    public void With_AGroupsOwnBatching_OverridesOnlyThatAndKeepsTwoBatchesInItsChannel()
    {
        var shared = new KafkaOptions { BootstrapServers = "b:1", MaxBatchSize = 100, ChannelCapacity = 500 };

        var own = shared.With(new ConsumerBatching(2048, TimeSpan.FromMilliseconds(250)));

        Assert.Same(shared, shared.With(null));
        Assert.Equal((2048, TimeSpan.FromMilliseconds(250), 4096, "b:1"), (own.MaxBatchSize, own.MaxBatchWait, own.ChannelCapacity, own.BootstrapServers));
        Assert.Equal((100, 500), (shared.MaxBatchSize, shared.ChannelCapacity));
        Assert.Equal(500, shared.With(new ConsumerBatching(10, TimeSpan.Zero)).ChannelCapacity);
    }

    [Fact]
    public void Options_HaveTheDocumentedDefaults()
    {
        var o = new KafkaOptions();
        Assert.Equal("127.0.0.1:9092", o.BootstrapServers);
        Assert.Equal("streamrec", o.GroupIdPrefix);
        Assert.Equal(256, o.MaxBatchSize);
        Assert.Equal(TimeSpan.FromMilliseconds(5), o.MaxBatchWait);
        Assert.Equal(2048, o.ChannelCapacity);
        Assert.Equal(1 << 20, o.MaxMessageBytes);
        Assert.Equal(TimeSpan.FromSeconds(45), o.SessionTimeout);
        Assert.Equal(TimeSpan.FromSeconds(300), o.MaxPollInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), o.ShutdownTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(200), o.TransientRetryMinBackoff);
        Assert.Equal(TimeSpan.FromSeconds(10), o.TransientRetryMaxBackoff);
        Assert.Equal(TimeSpan.FromMilliseconds(10), o.FetchWaitMax);
        Assert.Equal(TimeSpan.FromMilliseconds(1), o.ProducerLinger);
        Assert.Empty(o.Client);
    }

    [Fact]
    public void AddStreamRecKafka_BindsTheSection_IncludingClientPassThrough()
    {
        using var provider = Services(new()
        {
            ["StreamRec:Kafka:BootstrapServers"] = "broker:29092",
            ["StreamRec:Kafka:MaxBatchSize"] = "64",
            ["StreamRec:Kafka:MaxBatchWait"] = "00:00:00.050",
            ["StreamRec:Kafka:Client:security.protocol"] = "SSL",
            ["StreamRec:Kafka:Client:ssl.ca.location"] = "/etc/ca.pem",
        });
        var options = provider.GetRequiredService<IOptions<KafkaOptions>>().Value;
        Assert.Equal("broker:29092", options.BootstrapServers);
        Assert.Equal(64, options.MaxBatchSize);
        Assert.Equal(TimeSpan.FromMilliseconds(50), options.MaxBatchWait);
        Assert.Equal("SSL", options.Client["security.protocol"]);
        Assert.Equal("/etc/ca.pem", options.Client["ssl.ca.location"]);
        Assert.NotNull(provider.GetService<TimeProvider>());
    }

    [Theory]
    [InlineData("StreamRec:Kafka:MaxBatchSize", "0")]
    [InlineData("StreamRec:Kafka:ChannelCapacity", "-1")]
    [InlineData("StreamRec:Kafka:BootstrapServers", "")]
    [InlineData("StreamRec:Kafka:TransientRetryMinBackoff", "00:01:00")]
    public void AddStreamRecKafka_RejectsInvalidOptions(string key, string value)
    {
        using var provider = Services(new() { [key] = value });
        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<KafkaOptions>>().Value);
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        services.AddStreamRecKafka();
        return services.BuildServiceProvider();
    }
}
