using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StreamRec.Chaos;
using StreamRec.Contracts;
using StreamRec.Kafka.Consuming;
using StreamRec.Reliability.Tests.InProcess;
using StreamRec.TestSupport;

namespace StreamRec.Reliability.Tests.BadInput;

/// <summary>
/// A message larger than MaxMessageBytes (1 MiB) but accepted by the broker is also larger than the dead-letter
/// producer's message.max.bytes (MaxMessageBytes + 64 KiB): it is dead-lettered with its first 64 KiB and the
/// truncated / original-size headers, and the host keeps running (it used to stop on the ProduceException).
/// </summary>
public sealed class OversizedDeadLetterTests
{
    [Fact]
    public async Task MessageOverMaxMessageBytes_IsDeadLettered_AndTheHostKeepsRunning()
    {
        await using var harness = new PipelineHarness(partitions: 1);
        var app = await harness.StartHostAsync();
        using var kafka = new ChaosKafka(harness.Cluster.BootstrapServers, 1);
        var workload = new ChaosWorkload(seed: 51, events: 20);
        await InProcessHost.IndexItemsAsync(kafka, workload);
        var big = await kafka.ProduceRawAsync(Topics.UserEvents, "big", System.Text.Encoding.UTF8.GetBytes(
            $$"""{"schema":"streamrec.review/v1","event_id":"big","occurred_at":"2025-06-01T09:00:00Z","user_id":"big","item_id":"space-1","text":"{{new string('a', 2_000_000)}}"}"""), InProcessHost.Ct);
        kafka.Produce(workload.UserEvents);
        await InProcessHost.WaitAllCommittedAsync(kafka);
        Assert.All(app.Services.GetServices<IHostedService>().OfType<KafkaConsumerService>(), c => Assert.False(c.ExecuteTask?.IsCompleted ?? false));
        var letter = Assert.Single(kafka.ReadAll(Topics.DeadLetter), r => PipelineHarness.Header(r, "source-offset") == big.Offset.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("true", PipelineHarness.Header(letter, "truncated"));
        Assert.Equal(big.Message.Value.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), PipelineHarness.Header(letter, "original-size"));
        Assert.Equal(64 * 1024, letter.Message.Value.Length);
        Assert.Equal(big.Message.Value[..100], letter.Message.Value[..100]);
    }
}
