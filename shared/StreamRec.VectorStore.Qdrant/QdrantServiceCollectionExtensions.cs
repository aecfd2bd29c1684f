using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamRec.Ports;

namespace StreamRec.VectorStore.Qdrant;

public static class QdrantServiceCollectionExtensions
{
    /// <summary>Registers <see cref="QdrantVectorStore"/> (one gRPC channel for the process, disposed with the
    /// container) and the singleton <see cref="IVectorStore"/> (wrapped in <see cref="InstrumentedVectorStore"/>),
    /// with options from <see cref="QdrantOptions.SectionName"/> validated at start (an API key over http is
    /// refused there).</summary>
    public static IServiceCollection AddQdrantVectorStore(this IServiceCollection services)
    {
        services.AddOptions<QdrantOptions>()
            .BindConfiguration(QdrantOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => !string.IsNullOrWhiteSpace(o.Url), $"{QdrantOptions.SectionName}:Url is required for the Qdrant vector store")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);

        // A singleton: its circuit breaker and its channel must be one per process.
        services.TryAddSingleton(sp => new QdrantVectorStore(
            sp.GetRequiredService<IOptions<QdrantOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<QdrantVectorStore>>()));
        services.AddSingleton<IVectorStore>(sp => new InstrumentedVectorStore(sp.GetRequiredService<QdrantVectorStore>(), sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
