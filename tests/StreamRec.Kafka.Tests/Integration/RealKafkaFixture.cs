using Confluent.Kafka;
using StreamRec.Contracts;
using StreamRec.Kafka.Admin;
using StreamRec.Kafka.Configuration;
using Testcontainers.Kafka;

namespace StreamRec.Kafka.Tests.Integration;

/// <summary>A real Kafka broker in Docker (Testcontainers), for the same plumbing scenarios the dev
/// broker runs. Where no Docker engine is reachable the tests skip with that reason.</summary>
public sealed class RealKafkaFixture : IAsyncLifetime
{
    private KafkaContainer? _container;

    public static string? DockerUnavailableReason { get; } = FindDockerProblem();

    public string BootstrapServers => _container?.GetBootstrapAddress() ?? throw new InvalidOperationException("Kafka is not running");

    public async ValueTask InitializeAsync()
    {
        if (DockerUnavailableReason is not null)
        {
            return;
        }

        _container = new KafkaBuilder("confluentinc/cp-kafka:7.5.12").Build();
        await _container.StartAsync();
        await TopicAdmin.EnsureTopicsAsync(new KafkaOptions { BootstrapServers = BootstrapServers }, Topics.All, 3, 1, CancellationToken.None);
    }

    /// <summary>Creates a uniquely named topic through the project's own admin helper.</summary>
    public string NewTopic(string name, int partitions)
    {
        var topic = $"it.{name}.{Guid.NewGuid():N}";
        TopicAdmin.EnsureTopicsAsync(new KafkaOptions { BootstrapServers = BootstrapServers }, [topic], partitions, 1, CancellationToken.None)
            .GetAwaiter().GetResult();
        return topic;
    }

    public async ValueTask DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
    }

    private static string? FindDockerProblem()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        if (!string.IsNullOrEmpty(host))
        {
            return null;
        }

        return File.Exists("/var/run/docker.sock") || File.Exists(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker/run/docker.sock"))
            ? null
            : "no Docker engine here (no DOCKER_HOST, no /var/run/docker.sock): the real-Kafka tests run where Docker exists";
    }
}
