using System.Text;
using Confluent.Kafka;
using StreamRec.Contracts;
using StreamRec.Kafka.Consuming;
using StreamRec.Kafka.Producing;
using StreamRec.Messaging;

namespace StreamRec.Kafka.Tests.Fixtures;

/// <summary>The plumbing scenarios, written once and run against the dev broker and, where Docker
/// exists, a real Kafka broker.</summary>
public static class PlumbingScenarios
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    public delegate string TopicFactory(string name, int partitions);

    public static async Task ProduceAndConsume_ThroughAConsumerGroup(KafkaTestKit kit, TopicFactory newTopic, CancellationToken ct)
    {
        var topic = newTopic("roundtrip", 3);
        var group = "roundtrip-" + Guid.NewGuid().ToString("N");
        var producer = kit.Producer();
        var messages = Enumerable.Range(0, 30)
            .Select(i => new OutgoingMessage(topic, $"user-{i % 7}", System.Text.Encoding.UTF8.GetBytes($"{{\"n\":{i}}}"),
                [KeyValuePair.Create("trace", System.Text.Encoding.UTF8.GetBytes($"t{i}"))]))
            .ToList();
        await producer.ProduceBatchAsync(messages, ct);

        var handler = new RecordingHandler();
        var consumer = kit.Consumer(handler, group, topic);
        await consumer.StartAsync(ct);
        Assert.True(await Eventually.TrueAsync(() => handler.Handled.Count >= 30, Wait, ct), $"handled {handler.Handled.Count} of 30");
        Assert.True(consumer.IsAssigned);
        Assert.Equal(3, consumer.Assignment.Count);
        await consumer.StopAsync(ct);

        var handled = handler.Handled.ToList();
        Assert.Equal(30, handled.Count);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"{{\"n\":{i}}}").Order(), handled.Select(m => System.Text.Encoding.UTF8.GetString(m.Value)).Order());
        // Same key, same partition, in produce order: what per-user state relies on.
        foreach (var byKey in handled.GroupBy(m => m.Key))
        {
            Assert.Single(byKey.Select(m => m.Partition).Distinct());
            var numbers = byKey.Select(m => int.Parse(System.Text.Encoding.UTF8.GetString(m.Value)[5..^1], System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(numbers.Order(), numbers);
        }

        Assert.All(handled, m => Assert.Equal($"t{System.Text.Encoding.UTF8.GetString(m.Value)[5..^1]}", System.Text.Encoding.UTF8.GetString(m.Headers.Single(h => h.Key == "trace").Value)));

        // Shutdown committed everything that was handled: the committed offset is each partition's end.
        var committed = kit.Committed(consumer.GroupId, topic, 3);
        var perPartition = handled.GroupBy(m => m.Partition).ToDictionary(g => g.Key, g => g.Max(m => m.Offset) + 1);
        foreach (var c in committed)
        {
            Assert.Equal(perPartition.GetValueOrDefault(c.Partition.Value, Offset.Unset.Value), c.Offset.Value);
        }
    }

    public static async Task HandlerFailingOneMessage_DeadLettersIt_AndProcessesTheOthers(KafkaTestKit kit, TopicFactory newTopic, CancellationToken ct)
    {
        var topic = newTopic("poison", 1);
        var group = "poison-" + Guid.NewGuid().ToString("N");
        var producer = kit.Producer();
        for (var i = 0; i < 6; i++)
        {
            await producer.ProduceAsync(topic, $"k{i}", System.Text.Encoding.UTF8.GetBytes($"v{i}"), [KeyValuePair.Create("origin", "test"u8.ToArray())], ct);
        }

        var handler = new RecordingHandler(
            onMessage: (m, _) => m.Key == "k2" ? throw new InvalidOperationException("cannot handle v2") : Task.CompletedTask,
            poison: batch => [.. batch.Select((m, i) => (m, i)).Where(x => x.m.Key == "k4").Select(x => new PoisonMessage(x.i, "k4 is rejected"))]);
        var consumer = kit.Consumer(handler, group, topic, service: "poison-service");
        await consumer.StartAsync(ct);

        var dead = await kit.ReadAsync(Topics.DeadLetter, read => read.Count(r => KafkaTestKit.Header(r, "source-topic") == topic) >= 2, Wait, ct);
        Assert.True(await Eventually.TrueAsync(() => handler.Handled.Select(m => m.Key).Distinct().Count() >= 4, Wait, ct));
        await consumer.StopAsync(ct);

        var letters = dead.Where(r => KafkaTestKit.Header(r, "source-topic") == topic).OrderBy(r => KafkaTestKit.Header(r, "source-offset")).ToList();
        Assert.Equal(2, letters.Count);
        var thrown = letters[0];
        Assert.Equal("k2", System.Text.Encoding.UTF8.GetString(thrown.Message.Key!));
        Assert.Equal("v2", System.Text.Encoding.UTF8.GetString(thrown.Message.Value));
        Assert.Equal("HandlerError: cannot handle v2", KafkaTestKit.Header(thrown, DeadLetterPublisher.Headers.Error));
        Assert.Equal(DeadLetterKinds.HandlerError, KafkaTestKit.Header(thrown, DeadLetterPublisher.Headers.ErrorKind));
        Assert.Equal(topic, KafkaTestKit.Header(thrown, DeadLetterPublisher.Headers.SourceTopic));
        Assert.Equal("0", KafkaTestKit.Header(thrown, DeadLetterPublisher.Headers.SourcePartition));
        Assert.Equal("2", KafkaTestKit.Header(thrown, DeadLetterPublisher.Headers.SourceOffset));
        Assert.Equal("poison-service", KafkaTestKit.Header(thrown, DeadLetterPublisher.Headers.Service));
        Assert.Equal("test", KafkaTestKit.Header(thrown, "origin"));

        var rejected = letters[1];
        Assert.Equal("k4", System.Text.Encoding.UTF8.GetString(rejected.Message.Key!));
        Assert.Equal("k4 is rejected", KafkaTestKit.Header(rejected, DeadLetterPublisher.Headers.Error));
        Assert.Equal(DeadLetterKinds.Rejected, KafkaTestKit.Header(rejected, DeadLetterPublisher.Headers.ErrorKind));
        Assert.Equal("4", KafkaTestKit.Header(rejected, DeadLetterPublisher.Headers.SourceOffset));

        Assert.Equal(["k0", "k1", "k3", "k5"], handler.Handled.Select(m => m.Key!).Distinct().Order());
        // One bad event never stops a partition: the committed offset is past all six.
        Assert.Equal(6, kit.Committed(consumer.GroupId, topic, 1).Single().Offset.Value);
    }

    public static async Task ConsumerStoppedBeforeFinishing_MessageIsRedelivered(KafkaTestKit kit, TopicFactory newTopic, CancellationToken ct)
    {
        var topic = newTopic("redeliver", 1);
        var group = "redeliver-" + Guid.NewGuid().ToString("N");
        var producer = kit.Producer();
        await producer.ProduceAsync(topic, "u1", "first"u8.ToArray(), null, ct);

        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stuck = new RecordingHandler(onMessage: async (_, token) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, token);
        });
        // A short session: the dev broker's coordinator waits session.timeout - 1 s after a member leaves.
        var options = kit.Options(o =>
        {
            o.ShutdownTimeout = TimeSpan.FromMilliseconds(300);
            o.SessionTimeout = TimeSpan.FromSeconds(2);
            o.Client["heartbeat.interval.ms"] = "500";
        });
        var first = kit.Consumer(stuck, group, topic, options);
        await first.StartAsync(ct);
        await started.Task.WaitAsync(Wait, ct);
        await first.StopAsync(ct);
        Assert.Empty(stuck.Handled);
        Assert.Equal(Offset.Unset, kit.Committed(first.GroupId, topic, 1).Single().Offset);

        var handler = new RecordingHandler();
        var second = kit.Consumer(handler, group, topic, options);
        await second.StartAsync(ct);
        Assert.True(await Eventually.TrueAsync(() => !handler.Handled.IsEmpty, Wait, ct), "the message was not redelivered");
        await second.StopAsync(ct);
        Assert.Equal("first", System.Text.Encoding.UTF8.GetString(handler.Handled.Single().Value));
    }

    public static async Task TransientFailure_PausesRetriesAndStoresNothing_ThenSucceeds(KafkaTestKit kit, TopicFactory newTopic, CancellationToken ct)
    {
        var topic = newTopic("transient", 1);
        var group = "transient-" + Guid.NewGuid().ToString("N");
        var producer = kit.Producer();
        await producer.ProduceBatchAsync([.. Enumerable.Range(0, 3).Select(i => new OutgoingMessage(topic, "u", [(byte)i]))], ct);

        var failures = 0;
        var committedDuringFailures = new List<long>();
        var pausedDuringRetry = new List<int>();
        KafkaConsumerService? consumer = null;
        var handler = new RecordingHandler(onMessage: (m, _) =>
        {
            if (m.Offset != 0)
            {
                return Task.CompletedTask;
            }

            pausedDuringRetry.Add(consumer!.PausedPartitionCount);
            if (++failures <= 3)
            {
                committedDuringFailures.Add(kit.Committed(consumer.GroupId, topic, 1).Single().Offset.Value);
                throw new TransientException("store unavailable");
            }

            return Task.CompletedTask;
        });
        var options = kit.Options(o =>
        {
            o.TransientRetryMinBackoff = TimeSpan.FromMilliseconds(400);
            o.TransientRetryMaxBackoff = TimeSpan.FromMilliseconds(800);
        });
        consumer = kit.Consumer(handler, group, topic, options);
        await consumer.StartAsync(ct);
        Assert.True(await Eventually.TrueAsync(() => handler.Handled.Count >= 3, Wait, ct), $"handled {handler.Handled.Count}");
        await consumer.StopAsync(ct);

        Assert.Equal(4, failures);
        // While failing, nothing moved (the auto-commit runs every second meanwhile).
        Assert.All(committedDuringFailures, offset => Assert.Equal(Offset.Unset.Value, offset));
        // Retries run with the partition paused; the first attempt did not.
        Assert.Equal(0, pausedDuringRetry[0]);
        Assert.All(pausedDuringRetry.Skip(1), paused => Assert.Equal(1, paused));
        Assert.Equal([0L, 1L, 2L], handler.Handled.Select(m => m.Offset));
        Assert.Equal(3, kit.Committed(consumer.GroupId, topic, 1).Single().Offset.Value);
    }
}
