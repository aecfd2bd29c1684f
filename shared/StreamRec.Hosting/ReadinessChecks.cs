using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using StreamRec.Kafka.Consuming;
using StreamRec.Pipeline.Engines;
using StreamRec.Ports;

namespace StreamRec.Hosting;

/// <summary>Ready when every consumer of this process has joined its group and has had partitions assigned.</summary>
public sealed class KafkaReadinessCheck(IServiceProvider services) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var consumers = services.GetServices<IHostedService>().OfType<KafkaConsumerService>().ToArray();
        var waiting = consumers.Where(c => !c.IsAssigned).Select(c => c.GroupId).ToArray();
        return Task.FromResult(waiting.Length == 0
            ? HealthCheckResult.Healthy($"{consumers.Length} consumer(s) assigned")
            : HealthCheckResult.Unhealthy($"no partitions assigned yet: {string.Join(", ", waiting)}"));
    }
}

/// <summary>Ready when the collections exist and the store answers.</summary>
public sealed class VectorStoreReadinessCheck(StoreInitializer initializer, IVectorStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!initializer.IsReady)
        {
            return HealthCheckResult.Unhealthy("collections not initialised yet");
        }

        try
        {
            var collection = initializer.ProbeCollection;
            var points = await store.CountAsync(collection, cancellationToken);
            return HealthCheckResult.Healthy($"{points} points in {collection}");
        }
        catch (VectorStoreException ex)
        {
            return HealthCheckResult.Unhealthy(ex.Message);
        }
    }
}

/// <summary>Ready once the encoder model is loaded.</summary>
public sealed class EncoderReadinessCheck(StoreInitializer initializer, IServiceProvider services) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        // The initializer resolves the encoder (for the collections' dimension), so once it is done the model is loaded.
        if (!initializer.IsReady)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("encoder not loaded yet"));
        }

        var info = services.GetRequiredService<ITextEncoder>().Info;
        return Task.FromResult(HealthCheckResult.Healthy($"{info.ModelName} on {info.ExecutionProvider}, {info.Dimension} dims"));
    }
}

/// <summary>Keeps the catalog size (for the coverage metric) current.</summary>
public sealed class CatalogSizeRefresher(IVectorStore store, ServedListStats stats, StoreInitializer initializer, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await initializer.Ready.WaitAsync(stoppingToken);
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(15), time);
            do
            {
                try
                {
                    stats.CatalogSize = await store.CountAsync(Collections.Items, stoppingToken);
                }
                catch (VectorStoreException)
                {
                    // The next tick tries again; coverage just keeps its last value meanwhile.
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
