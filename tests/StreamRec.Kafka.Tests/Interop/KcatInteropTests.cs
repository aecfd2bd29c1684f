using System.Text;
using StreamRec.Kafka.Producing;
using StreamRec.Kafka.Tests.Fixtures;
using StreamRec.Messaging;

namespace StreamRec.Kafka.Tests.Interop;

/// <summary>A real external Kafka client (kcat, librdkafka in another process) against the dev broker and our plumbing.</summary>
public sealed class KcatInteropTests(MockClusterFixture fixture) : IDisposable
{
    private readonly KafkaTestKit _kit = new(fixture.BootstrapServers);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string[] Events =
    [
        """{"schema":"streamrec.click/v1","event_id":"k-1","user_id":"u-1","item_id":"i-1","occurred_at":"2026-01-01T10:00:00Z"}""",
        """{"schema":"streamrec.review/v1","event_id":"k-2","user_id":"u-2","item_id":"i-9","rating":4.5,"text":"très bien — 良い","occurred_at":"2026-01-01T10:00:01Z"}""",
        """{"schema":"streamrec.click/v1","event_id":"k-3","user_id":"u-1","item_id":"i-2","occurred_at":"2026-01-01T10:00:02Z"}""",
    ];

    [Fact]
    public async Task KcatProducesJsonEvents_OurConsumerReceivesTheExactBytesAndKeys()
    {
        ExternalProcess.RequireKcat();
        var topic = fixture.NewTopic("kcat-in", 2);
        var input = string.Join("\n", Events.Select((e, i) => $"user-{i % 2}\t{e}")) + "\n";
        var (exit, _, stderr) = await ExternalProcess.RunAsync(
            ExternalProcess.KcatInfo("-P", "-b", fixture.BootstrapServers, "-t", topic, "-K", "\t"),
            System.Text.Encoding.UTF8.GetBytes(input), TimeSpan.FromSeconds(30), Ct);
        Assert.True(exit == 0, $"kcat failed: {stderr}");

        var handler = new RecordingHandler();
        var consumer = _kit.Consumer(handler, "kcat-in-" + Guid.NewGuid().ToString("N"), topic);
        await consumer.StartAsync(Ct);
        Assert.True(await Eventually.TrueAsync(() => handler.Handled.Count >= Events.Length, TimeSpan.FromSeconds(20), Ct));
        await consumer.StopAsync(Ct);

        var received = handler.Handled.ToList();
        Assert.Equal(Events.Order(StringComparer.Ordinal), received.Select(m => System.Text.Encoding.UTF8.GetString(m.Value)).Order(StringComparer.Ordinal));
        foreach (var message in received)
        {
            var index = Array.IndexOf(Events, System.Text.Encoding.UTF8.GetString(message.Value));
            Assert.Equal($"user-{index % 2}", message.Key);
            Assert.Equal(System.Text.Encoding.UTF8.GetBytes(Events[index]), message.Value);
        }
    }

    [Fact]
    public async Task WeProduce_KcatReadsTheSameBytesBack()
    {
        ExternalProcess.RequireKcat();
        var topic = fixture.NewTopic("kcat-out", 1);
        var producer = _kit.Producer();
        await producer.ProduceBatchAsync([.. Events.Select((e, i) => new OutgoingMessage(topic, $"key-{i}", System.Text.Encoding.UTF8.GetBytes(e)))], Ct);

        var (exit, stdout, stderr) = await ExternalProcess.RunAsync(
            ExternalProcess.KcatInfo("-C", "-b", fixture.BootstrapServers, "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%k\t%s\n"),
            null, TimeSpan.FromSeconds(30), Ct);
        Assert.True(exit == 0, $"kcat failed: {stderr}");

        var expected = string.Concat(Events.Select((e, i) => $"key-{i}\t{e}\n"));
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes(expected), stdout);
    }

    public void Dispose() => _kit.Dispose();
}
