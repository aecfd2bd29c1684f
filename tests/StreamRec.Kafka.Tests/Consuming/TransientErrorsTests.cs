using Confluent.Kafka;
using Polly.CircuitBreaker;
using StreamRec.Kafka.Consuming;
using StreamRec.Ports;

namespace StreamRec.Kafka.Tests.Consuming;

public sealed class TransientErrorsTests
{
    public static TheoryData<Exception, bool> Cases => new()
    {
        { new TransientException("later"), true },
        { new VectorStoreException("503", 503, isTransient: true), true },
        { new VectorStoreException("bad dimension", 400, isTransient: false), false },
        { new KafkaException(ErrorCode.Local_Transport), true },
        { new KafkaException(ErrorCode.Local_AllBrokersDown), true },
        { new KafkaException(ErrorCode.NotEnoughReplicas), true },
        { new KafkaException(ErrorCode.TopicAuthorizationFailed), false },
        { new KafkaException(ErrorCode.MsgSizeTooLarge), false },
        { new TimeoutException(), true },
        { new BrokenCircuitException(), true },
        { new AggregateException(new TimeoutException(), new TransientException()), true },
        { new AggregateException(new TimeoutException(), new FormatException()), false },
        { new InvalidOperationException("bug"), false },
        { new FormatException("bad json"), false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void IsTransient_ClassifiesFailures(Exception exception, bool expected) =>
        Assert.Equal(expected, TransientErrors.IsTransient(exception));

    [Fact]
    public void Backoff_GrowsExponentially_WithJitter_AndIsCapped()
    {
        var random = new Random(42);
        var min = TimeSpan.FromMilliseconds(200);
        var max = TimeSpan.FromSeconds(10);
        for (var attempt = 1; attempt <= 12; attempt++)
        {
            var nominal = Math.Min(max.TotalMilliseconds, 200 * Math.Pow(2, attempt - 1));
            var delays = Enumerable.Range(0, 50).Select(_ => Backoff.Compute(attempt, min, max, random).TotalMilliseconds).ToList();
            Assert.All(delays, d => Assert.InRange(d, nominal / 2, nominal));
            Assert.True(delays.Distinct().Count() > 1, "no jitter");
        }
    }
}
