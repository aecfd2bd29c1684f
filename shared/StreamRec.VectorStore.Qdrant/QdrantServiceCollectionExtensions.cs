using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamRec.Ports;

namespace StreamRec.VectorStore.Qdrant;

public static class QdrantServiceCollectionExtensions
{
    /// <summary>Registers <see cref="QdrantVectorStore"/> as a typed HttpClient and the singleton
    /// <see cref="IVectorStore"/> (wrapped in <see cref="InstrumentedVectorStore"/>), with options from
    /// <see cref="QdrantOptions.SectionName"/> validated at start (an API key over http is refused there).</summary>
    public static IServiceCollection AddQdrantVectorStore(this IServiceCollection services)
    {
        services.AddOptions<QdrantOptions>()
            .BindConfiguration(QdrantOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => !string.IsNullOrWhiteSpace(o.Url), $"{QdrantOptions.SectionName}:Url is required for the Qdrant vector store")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient<QdrantVectorStore>((sp, client) =>
            {
                client.BaseAddress = new Uri(sp.GetRequiredService<IOptions<QdrantOptions>>().Value.Url.TrimEnd('/') + "/");

                // Polly owns every timeout (attempt and total); HttpClient's 100 s default would cut across it.
                client.Timeout = Timeout.InfiniteTimeSpan;
            })

            // The store is held by a singleton for the process lifetime (its circuit breaker must be one),
            // so DNS changes are picked up by recycling pooled connections rather than handlers.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        services.AddSingleton<IVectorStore>(sp =>
        {
            var client = sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(QdrantVectorStore));
            var store = new QdrantVectorStore(
                client,
                sp.GetRequiredService<IOptions<QdrantOptions>>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<ILogger<QdrantVectorStore>>());
            return new InstrumentedVectorStore(store, sp.GetRequiredService<TimeProvider>());
        });
        return services;
    }
}
