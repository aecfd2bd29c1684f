using System.Text;
using StreamRec.Contracts;
using StreamRec.Kafka.Producing;
using StreamRec.Kafka.Tests.Fixtures;
using StreamRec.Messaging;
using StreamRec.Observability;

namespace StreamRec.Kafka.Tests.Consuming;

public sealed class OversizedMessageTests(MockClusterFixture fixture) : IDisposable
{
    private readonly KafkaTestKit _kit = new(fixture.BootstrapServers);

    [Fact]
    public async Task MessageLargerThanMaxMessageBytes_GoesToTheDlq_WithoutReachingTheHandler()
    {
        var ct = TestContext.Current.CancellationToken;
        var (topic, options) = await BigThenSmallAsync("oversized", ct);

        var handler = new RecordingHandler();
        var consumer = _kit.Consumer(handler, "oversized-" + Guid.NewGuid().ToString("N"), topic, options);
        await consumer.StartAsync(ct);
        var dead = await _kit.ReadAsync(Topics.DeadLetter, r => r.Any(x => KafkaTestKit.Header(x, "source-topic") == topic), TimeSpan.FromSeconds(20), ct);
        Assert.True(await Eventually.TrueAsync(() => !handler.Handled.IsEmpty, TimeSpan.FromSeconds(20), ct));
        await consumer.StopAsync(ct);

        var letter = Assert.Single(dead, x => KafkaTestKit.Header(x, "source-topic") == topic);
        Assert.Equal(DeadLetterKinds.TooLarge, KafkaTestKit.Header(letter, DeadLetterPublisher.Headers.ErrorKind));
        Assert.Equal(500, letter.Message.Value.Length);
        Assert.Equal("big", System.Text.Encoding.UTF8.GetString(letter.Message.Key!));
        Assert.Equal(["small"], handler.Handled.Select(m => m.Key!));
    }

    [Fact]
    public async Task SideReader_SkipsTheOversizedMessage_WithoutADeadLetter_AndIsNotCountedInTheEventMetrics()
    {
        var ct = TestContext.Current.CancellationToken;
        var (topic, options) = await BigThenSmallAsync("oversized-side", ct);

        var handler = new RecordingHandler { OwnsTopicEvents = false };
        var consumer = _kit.Consumer(handler, "oversized-side-" + Guid.NewGuid().ToString("N"), topic, options);
        await consumer.StartAsync(ct);
        Assert.True(await Eventually.TrueAsync(() => !handler.Handled.IsEmpty, TimeSpan.FromSeconds(20), ct));
        // The big message comes first in the partition, so a dead letter for it would already be out by now.
        var dead = await _kit.ReadAsync(Topics.DeadLetter, _ => false, TimeSpan.FromSeconds(2), ct);
        await consumer.StopAsync(ct);

        Assert.DoesNotContain(dead, x => KafkaTestKit.Header(x, "source-topic") == topic);
        Assert.Equal(["small"], handler.Handled.Select(m => m.Key!));
        Assert.Equal(0, StreamRecMetrics.EventsConsumed.WithLabels(topic).Value);
        Assert.Equal(0, StreamRecMetrics.EventsProcessed.WithLabels(topic, StreamRecMetrics.Outcomes.Ok).Value);
    }

    [Fact]
    public async Task OwningConsumer_ExportsItsDeadLetterSeriesAtZero_BeforeTheFirstDeadLetter()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = fixture.NewTopic("dlq-series", 1);
        var consumer = _kit.Consumer(new RecordingHandler(), "dlq-series-" + Guid.NewGuid().ToString("N"), topic);
        var sideTopic = fixture.NewTopic("dlq-series-side", 1);
        var side = _kit.Consumer(new RecordingHandler { OwnsTopicEvents = false }, "dlq-series-side-" + Guid.NewGuid().ToString("N"), sideTopic);
        await consumer.StartAsync(ct);
        await side.StartAsync(ct);
        using var text = new MemoryStream();
        await Prometheus.Metrics.DefaultRegistry.CollectAndExportAsTextAsync(text, ct);
        await consumer.StopAsync(ct);
        await side.StopAsync(ct);

        var exported = System.Text.Encoding.UTF8.GetString(text.ToArray());
        Assert.Contains($"streamrec_dead_letters_total{{topic=\"{topic}\"}} 0", exported, StringComparison.Ordinal);
        Assert.DoesNotContain($"streamrec_dead_letters_total{{topic=\"{sideTopic}\"}}", exported, StringComparison.Ordinal);
    }

    public void Dispose() => _kit.Dispose();

    /// <summary>A new topic holding a 500-byte message "big" then "small", and options whose MaxMessageBytes is 100.</summary>
    private async Task<(string Topic, StreamRec.Kafka.Configuration.KafkaOptions Options)> BigThenSmallAsync(string name, CancellationToken ct)
    {
        var topic = fixture.NewTopic(name, 1);
        var options = _kit.Options(o => o.MaxMessageBytes = 100);
        var producer = _kit.Producer(options);
        await producer.ProduceAsync(topic, "big", new byte[500], null, ct);
        await producer.ProduceAsync(topic, "small", "ok"u8.ToArray(), null, ct);
        return (topic, options);
    }
}
