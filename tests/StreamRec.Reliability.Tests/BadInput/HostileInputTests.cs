using System.Diagnostics;

using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StreamRec.Chaos;
using StreamRec.Contracts;
using StreamRec.Kafka.Consuming;
using StreamRec.Observability;
using StreamRec.Pipeline.Engines;
using StreamRec.Reliability.Tests.InProcess;
using StreamRec.TestSupport;
using StreamRec.VectorStore.Embedded;

namespace StreamRec.Reliability.Tests.BadInput;

/// <summary>
/// A corpus of hostile events through the real services (in-process host): each one is dead-lettered with a reason
/// (or handled as the design says), nothing crashes, memory stays bounded, and the valid events around them are applied.
/// </summary>
public sealed class HostileInputTests
{
    private static readonly DateTimeOffset At = ChaosWorkload.Start;

    /// <summary>(name, topic, key, bytes, expected start of the dead-letter reason; null: must NOT be dead-lettered).</summary>
    private static IEnumerable<(string Name, string Topic, string? Key, byte[] Value, string? Reason)> Corpus()
    {
        static byte[] Json(string s) => System.Text.Encoding.UTF8.GetBytes(s);
        static string Click(string user, string item, string extra = "") =>
            $$"""{"schema":"streamrec.click/v1","event_id":"bad-{{Guid.NewGuid():N}}","occurred_at":"2025-06-01T09:00:00Z","user_id":"{{user}}","item_id":"{{item}}"{{extra}}}""";

        yield return ("malformed json", Topics.UserEvents, "h1", Json("""{"schema":"streamrec.click/v1","event_id":"""), "MalformedJson");
        yield return ("not an object", Topics.UserEvents, "h1", Json("[1,2,3]"), "MalformedJson");
        yield return ("wrong type", Topics.UserEvents, "h1", Json("""{"schema":"streamrec.click/v1","event_id":"x","occurred_at":"2025-06-01T09:00:00Z","user_id":42,"item_id":"space-1"}"""), "WrongType");
        yield return ("missing field", Topics.UserEvents, "h1", Json("""{"schema":"streamrec.click/v1","event_id":"x","occurred_at":"2025-06-01T09:00:00Z","user_id":"h1"}"""), "MissingField");
        yield return ("unknown schema version", Topics.UserEvents, "h1", Json(Click("h1", "space-1").Replace("click/v1", "click/v9", StringComparison.Ordinal)), "UnknownSchema");
        yield return ("no schema", Topics.UserEvents, "h1", Json("""{"event_id":"x"}"""), "UnknownSchema");
        yield return ("invalid utf-8", Topics.UserEvents, "h1", [.. Json("""{"schema":"streamrec.click/v1","event_id":"""), 0x22, 0xC3, 0x28, 0x22, .. Json("}")], "InvalidUtf8");
        yield return ("lone surrogate", Topics.UserEvents, "h1", Json(Click("h1\\ud800", "space-1")), "InvalidValue");
        yield return ("empty json", Topics.UserEvents, "h1", [], "MalformedJson");
        yield return ("empty key", Topics.UserEvents, "", Json(Click("h2", "space-1")), null);
        yield return ("key of another user", Topics.UserEvents, "someone-else", Json(Click("h2", "space-1")), "KeyMismatch: the message key differs from user_id");
        yield return ("byte-order mark", Topics.UserEvents, "h12", [0xEF, 0xBB, 0xBF, .. Json(Click("h12", "space-1"))], null);
        yield return ("nine fractional digits", Topics.UserEvents, "h13", Json(Click("h13", "space-1").Replace("09:00:00Z", "09:00:00.123456789Z", StringComparison.Ordinal)), null);
        yield return ("item stamped in 2199", Topics.Items, "i-2199", Json("""{"schema":"streamrec.item-upserted/v1","event_id":"x","occurred_at":"2199-01-01T00:00:00Z","item_id":"i-2199","title":"t"}"""), "FutureTimestamp: occurred_at 2199-01-01T00:00:00Z is more than 1 day(s) ahead");
        yield return ("null key", Topics.UserEvents, null, Json(Click("h2", "space-1")), null);
        var huge = new string('k', 100_000);
        yield return ("huge key and id", Topics.UserEvents, huge, Json(Click(huge, "space-1")), "InvalidValue");
        yield return ("blank id", Topics.UserEvents, "   ", Json(Click("   ", "space-1")), "InvalidValue");
        yield return ("control character in id", Topics.UserEvents, "h\u0001", Json(Click("h\\u0001", "space-1")), "InvalidValue");
        yield return ("unknown item", Topics.UserEvents, "h3", Json(Click("h3", "no-such-item")), "ItemNotIndexed: item 'no-such-item' is not indexed after");
        yield return ("far past", Topics.UserEvents, "h4", Json(Click("h4", "space-1").Replace("2025-06-01", "1900-01-01", StringComparison.Ordinal)), "InvalidValue");
        yield return ("far future", Topics.UserEvents, "h5", Json(Click("h5", "space-1").Replace("2025-06-01", "2150-01-01", StringComparison.Ordinal)), "FutureTimestamp");
        yield return ("item on the user-events topic", Topics.UserEvents, "i-x", Json("""{"schema":"streamrec.item-upserted/v1","event_id":"x","occurred_at":"2025-06-01T09:00:00Z","item_id":"i-x","title":"t"}"""), "WrongTopic");
        yield return ("rating NaN as a string", Topics.UserEvents, "h6", Json("""{"schema":"streamrec.review/v1","event_id":"x","occurred_at":"2025-06-01T09:00:00Z","user_id":"h6","item_id":"space-1","rating":"NaN"}"""), "WrongType");
        yield return ("rating out of range", Topics.UserEvents, "h6", Json("""{"schema":"streamrec.review/v1","event_id":"x","occurred_at":"2025-06-01T09:00:00Z","user_id":"h6","item_id":"space-1","rating":1e308}"""), "InvalidValue");
        yield return ("1 MB review text", Topics.UserEvents, "h7", Json($$"""{"schema":"streamrec.review/v1","event_id":"x","occurred_at":"2025-06-01T09:00:00Z","user_id":"h7","item_id":"space-1","text":"{{new string('a', 1_000_000)}}"}"""), "TextTooLong");
        // Not in this corpus: messages over MaxMessageBytes but under the broker limit (their own test,
        // OversizedDeadLetterTests: the dead letter keeps the first 64 KiB), and 10 MB ones (librdkafka's mock broker
        // keeps about 5 MB per partition, so one evicts the whole partition; a default producer refuses it, see below).
        yield return ("deeply nested", Topics.UserEvents, "h9", Json("""{"schema":"streamrec.review/v1","x":""" + new string('[', 5000) + new string(']', 5000) + "}"), "MalformedJson");
        yield return ("item with empty item_id", Topics.Items, "", Json("""{"schema":"streamrec.item-upserted/v1","event_id":"x","occurred_at":"2025-06-01T09:00:00Z","item_id":"","title":"t"}"""), "InvalidValue");
        yield return ("item with wrong tags", Topics.Items, "i-z", Json("""{"schema":"streamrec.item-upserted/v1","event_id":"x","occurred_at":"2025-06-01T09:00:00Z","item_id":"i-z","title":"t","tags":"not-a-list"}"""), "WrongType");
        // Handled, not dead-lettered: a review with whitespace-only text and no rating is an unrated review of the item
        // (no text vector, so no NaN from an empty encoding); an unknown user is simply a new user.
        yield return ("whitespace review text", Topics.UserEvents, "h10", Json("""{"schema":"streamrec.review/v1","event_id":"ws","occurred_at":"2025-06-01T09:00:00Z","user_id":"h10","item_id":"space-1","text":"   \t "}"""), null);
        yield return ("empty review text", Topics.UserEvents, "h11", Json("""{"schema":"streamrec.review/v1","event_id":"empty","occurred_at":"2025-06-01T09:00:00Z","user_id":"h11","item_id":"garden-1","text":""}"""), null);
    }

    [Fact]
    public async Task HostileEvents_AreDeadLetteredWithAReason_ValidOnesAroundThemApplied_NoCrash_MemoryBounded()
    {
        await using var harness = new PipelineHarness(partitions: 2);
        var logs = new Support.LogCapture();
        var app = await harness.StartHostAsync(services => services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs));
        using var kafka = new ChaosKafka(harness.Cluster.BootstrapServers, 2);
        var workload = new ChaosWorkload(seed: 31, events: 80);
        await InProcessHost.IndexItemsAsync(kafka, workload);

        // Valid events before, between and after the hostile ones.
        var valid = workload.UserEvents;
        var produced = new List<(string Name, DeliveryResult<string, byte[]> Result, string? Reason)>();
        var corpus = Corpus().ToList();
        kafka.Produce(valid.Take(30));
        foreach (var (name, topic, key, value, reason) in corpus)
        {
            produced.Add((name, await kafka.ProduceRawAsync(topic, key, value, InProcessHost.Ct), reason));
        }

        kafka.Produce(valid.Skip(30));
        try
        {
            await InProcessHost.WaitAllCommittedAsync(kafka, TimeSpan.FromSeconds(90));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidOperationException(e.Message + "\n" + string.Join('\n', logs.Lines.Where(l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal) || l.Contains("reviews", StringComparison.Ordinal)).TakeLast(8).Select(l => l.Length > 600 ? l[..600] : l)), e);
        }

        // The unknown item's click was parked (its offset committed): it reaches the dead-letter topic after the bounds.
        for (var i = 0; i < 600 && StreamRecMetrics.ParkedEvents.WithLabels(Topics.UserEvents).Value > 0; i++)
        {
            await Task.Delay(50, InProcessHost.Ct);
        }

        // No consumer died on the way.
        foreach (var consumer in app.Services.GetServices<IHostedService>().OfType<KafkaConsumerService>())
        {
            Assert.False(consumer.ExecuteTask?.IsCompleted ?? false, $"consumer {consumer.GroupId} stopped: {consumer.ExecuteTask?.Exception}");
        }

        var deadLetters = kafka.ReadAll(Topics.DeadLetter).ToDictionary(
            r => (PipelineHarness.Header(r, "source-topic"), int.Parse(PipelineHarness.Header(r, "source-partition"), System.Globalization.CultureInfo.InvariantCulture), long.Parse(PipelineHarness.Header(r, "source-offset"), System.Globalization.CultureInfo.InvariantCulture)),
            r => PipelineHarness.Header(r, "error"));
        foreach (var (name, result, reason) in produced)
        {
            var found = deadLetters.TryGetValue((result.Topic, result.Partition.Value, result.Offset.Value), out var error);
            if (reason is null)
            {
                Assert.False(found, $"{name} was dead-lettered: {error}");
            }
            else
            {
                Assert.True(found, $"{name} was not dead-lettered");
                Assert.True(error!.StartsWith(reason, StringComparison.Ordinal) || error.Contains(reason, StringComparison.Ordinal), $"{name}: reason '{error}', expected '{reason}'");
            }
        }

        // The whole process (host, in-memory broker holding the 10 MB message, test) stays within a generous bound.
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        Assert.True(self.WorkingSet64 < 2L * 1024 * 1024 * 1024, $"working set {self.WorkingSet64 / (1024 * 1024)} MB");

        await harness.StopHostAsync(app);

        // The valid users are applied exactly once; the handled ones hold finite vectors.
        var audit = await ChaosAudit.RunAsync(kafka, harness.StorePath, workload.Items.Select(i => i.ItemId).ToArray(), cancellationToken: InProcessHost.Ct);
        Assert.Equal(0, audit.Lost);
        Assert.Equal(0, audit.AppliedTwice);
        Assert.Equal(0, audit.DivergedUsers);
        using var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { Path = harness.StorePath });
        var handled = await store.GetAsync(Collections.Users, ["h10", "h11", "h2", "h12", "h13"], withVectors: true, withPayload: true, InProcessHost.Ct);
        Assert.Equal(5, handled.Count);
        Assert.All(handled, p => Assert.All(p.Vectors.Values.SelectMany(v => v), x => Assert.True(float.IsFinite(x))));
        var users = await store.GetAsync(Collections.Users, workload.Users.ToArray(), withVectors: false, withPayload: true, InProcessHost.Ct);
        Assert.Equal(workload.Users.Count, users.Count);
    }

    [Fact]
    public async Task TenMegabyteMessage_IsRefusedAtProduceTime_ByAProducerWithDefaultLimits()
    {
        await using var harness = new PipelineHarness(partitions: 1);
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = harness.Cluster.BootstrapServers }).Build();
        var error = await Assert.ThrowsAsync<ProduceException<string, byte[]>>(() =>
            producer.ProduceAsync(Topics.UserEvents, new Message<string, byte[]> { Key = "u", Value = new byte[10_000_000] }, InProcessHost.Ct));
        Assert.Equal(ErrorCode.MsgSizeTooLarge, error.Error.Code);
    }
}
