using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StreamRec.Chaos;
using StreamRec.Kafka.Consuming;
using StreamRec.TestSupport;

namespace StreamRec.Reliability.Tests.InProcess;

/// <summary>Helpers over the pipeline tests' <see cref="PipelineHarness"/> for in-process scenarios.</summary>
internal static class InProcessHost
{
    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static KafkaConsumerService Consumer(WebApplication app, string group) =>
        app.Services.GetServices<IHostedService>().OfType<KafkaConsumerService>().Single(c => c.GroupId == group);

    public static async Task WaitAsync(Func<bool> condition, TimeSpan timeout, string what, Func<string>? details = null)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (DateTimeOffset.UtcNow < deadline)
        {
            try
            {
                if (condition())
                {
                    return;
                }
            }
            catch (Confluent.Kafka.KafkaException)
            {
            }

            await Task.Delay(100, Ct);
        }

        Assert.Fail($"timed out waiting for {what}: {details?.Invoke()}");
    }

    public static Task WaitAllCommittedAsync(ChaosKafka kafka, TimeSpan? timeout = null) =>
        WaitAsync(() => kafka.TryUncommitted() == 0, timeout ?? TimeSpan.FromSeconds(90), "every service group to commit everything", () => kafka.DescribeUncommitted());

    public static Task IndexItemsAsync(ChaosKafka kafka, ChaosWorkload workload)
    {
        kafka.Produce(workload.Items);
        return WaitAsync(
            () => kafka.Covers("streamrec.item-indexer", kafka.HighWatermarks([StreamRec.Contracts.Topics.Items])),
            TimeSpan.FromSeconds(60),
            "the catalog to be indexed");
    }
}
