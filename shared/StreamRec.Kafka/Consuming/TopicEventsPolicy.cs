using StreamRec.Contracts;
using StreamRec.Kafka.Producing;
using StreamRec.Messaging;

namespace StreamRec.Kafka.Consuming;

/// <summary>What a group does with the events of its topics, decided once from <see cref="IBatchHandler.OwnsTopicEvents"/>:
/// the owning group dead-letters oversized messages and counts its events; a side reader of a topic another group owns
/// does neither, so one bad message makes one dead letter and an event counts once.</summary>
internal interface ITopicEventsPolicy
{
    /// <summary>At start: export the dead-letter series of <paramref name="topics"/> at 0.</summary>
    void ExportSeries(IEnumerable<string> topics);

    /// <summary>A first attempt hands <paramref name="count"/> messages of <paramref name="topic"/> to the handler.</summary>
    void CountConsumed(string topic, int count);

    /// <summary>A message finished (or is being retried) with <paramref name="outcome"/>.</summary>
    void CountProcessed(string topic, string outcome);

    /// <summary>A message over <c>MaxMessageBytes</c>, which the handler never sees. Once this returns it counts as finished.</summary>
    Task OnTooLargeAsync(ConsumedMessage message, CancellationToken cancellationToken);
}

internal static class TopicEventsPolicy
{
    public static ITopicEventsPolicy For(IBatchHandler handler, IDeadLetterSink deadLetters, string serviceName, int maxMessageBytes) =>
        handler.OwnsTopicEvents ? new TopicEventsOwner(deadLetters, serviceName, maxMessageBytes) : TopicEventsSideReader.Instance;
}

/// <summary>The group that owns its topics' events (the default).</summary>
internal sealed class TopicEventsOwner(IDeadLetterSink deadLetters, string serviceName, int maxMessageBytes) : ITopicEventsPolicy
{
    public void ExportSeries(IEnumerable<string> topics) => ConsumerMetrics.ExportDeadLetterSeries(topics);

    public void CountConsumed(string topic, int count) => ConsumerMetrics.EventsConsumed(topic, count);

    public void CountProcessed(string topic, string outcome) => ConsumerMetrics.EventProcessed(topic, outcome);

    public Task OnTooLargeAsync(ConsumedMessage message, CancellationToken cancellationToken) =>
        deadLetters.PublishAsync(
            message,
            $"{DeadLetterCodes.TooLarge}: message is {message.Value.Length} bytes, the limit is {maxMessageBytes} (StreamRec:Kafka:MaxMessageBytes)",
            DeadLetterKinds.TooLarge,
            serviceName,
            cancellationToken);
}

/// <summary>A side reader (the recommender's trending counter on the user-events topic): skips oversized messages and counts nothing.</summary>
internal sealed class TopicEventsSideReader : ITopicEventsPolicy
{
    public static readonly TopicEventsSideReader Instance = new();

    private TopicEventsSideReader()
    {
    }

    public void ExportSeries(IEnumerable<string> topics)
    {
    }

    public void CountConsumed(string topic, int count)
    {
    }

    public void CountProcessed(string topic, string outcome)
    {
    }

    public Task OnTooLargeAsync(ConsumedMessage message, CancellationToken cancellationToken) => Task.CompletedTask;
}
