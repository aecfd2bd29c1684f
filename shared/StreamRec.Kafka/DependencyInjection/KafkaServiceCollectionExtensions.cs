using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamRec.Kafka.Configuration;
using StreamRec.Kafka.Consuming;
using StreamRec.Kafka.Producing;
using StreamRec.Messaging;

namespace StreamRec.Kafka.DependencyInjection;

public static class KafkaServiceCollectionExtensions
{
    /// <summary>Binds and validates <see cref="KafkaOptions"/> (section <c>StreamRec:Kafka</c>) and registers
    /// the process-wide <see cref="KafkaProducer"/> and <see cref="DeadLetterPublisher"/>, also as the messaging ports
    /// <see cref="IEventPublisher"/> and <see cref="IDeadLetterSink"/> the handlers depend on.</summary>
    public static IServiceCollection AddStreamRecKafka(this IServiceCollection services)
    {
        services.AddOptions<KafkaOptions>()
            .BindConfiguration(KafkaOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.TransientRetryMinBackoff <= o.TransientRetryMaxBackoff, "TransientRetryMinBackoff must not exceed TransientRetryMaxBackoff")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<KafkaProducer>();
        services.TryAddSingleton<DeadLetterPublisher>();
        services.TryAddSingleton<IEventPublisher>(sp => sp.GetRequiredService<KafkaProducer>());
        services.TryAddSingleton<IDeadLetterSink>(sp => sp.GetRequiredService<DeadLetterPublisher>());
        return services;
    }

    /// <summary>Adds a consumer group member running <typeparamref name="THandler"/> (a singleton) as a hosted
    /// service. The <see cref="KafkaConsumerService"/> is also registered keyed by <paramref name="groupId"/>
    /// for readiness checks.</summary>
    public static IServiceCollection AddStreamRecConsumer<THandler>(this IServiceCollection services, string serviceName, string groupId, params string[] topics)
        where THandler : class, IBatchHandler =>
        services.AddStreamRecConsumer<THandler>(serviceName, groupId, batching: null, topics);

    /// <inheritdoc cref="AddStreamRecConsumer{THandler}(IServiceCollection, string, string, string[])"/>
    /// <param name="services">The services.</param>
    /// <param name="serviceName">The service, written into dead letters.</param>
    /// <param name="groupId">Logical group name.</param>
    /// <param name="batching">This group's batching instead of <c>StreamRec:Kafka</c>'s; null: those.</param>
    /// <param name="topics">Topics to subscribe to.</param>
    public static IServiceCollection AddStreamRecConsumer<THandler>(this IServiceCollection services, string serviceName, string groupId, ConsumerBatching? batching, params string[] topics)
        where THandler : class, IBatchHandler
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        if (topics.Length == 0)
        {
            throw new ArgumentException("a consumer needs at least one topic", nameof(topics));
        }

        services.AddStreamRecKafka();
        services.TryAddSingleton<THandler>();
        services.AddKeyedSingleton(groupId, (sp, _) => new KafkaConsumerService(
            new ConsumerRegistration(serviceName, groupId, topics, sp.GetRequiredService<THandler>(), batching),
            sp.GetRequiredService<IOptions<KafkaOptions>>(),
            sp.GetRequiredService<DeadLetterPublisher>(),
            sp.GetRequiredService<ILogger<KafkaConsumerService>>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredKeyedService<KafkaConsumerService>(groupId));
        return services;
    }
}
