using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamRec.Ports;

namespace StreamRec.VectorStore.Embedded;

public static class EmbeddedVectorStoreServiceCollectionExtensions
{
    /// <summary>Registers <see cref="EmbeddedVectorStore"/> as the singleton <see cref="IVectorStore"/>,
    /// wrapped in <see cref="InstrumentedVectorStore"/>, with options from
    /// <see cref="EmbeddedVectorStoreOptions.SectionName"/>.</summary>
    public static IServiceCollection AddEmbeddedVectorStore(this IServiceCollection services)
    {
        services.AddOptions<EmbeddedVectorStoreOptions>()
            .BindConfiguration(EmbeddedVectorStoreOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new EmbeddedVectorStore(
            sp.GetRequiredService<IOptions<EmbeddedVectorStoreOptions>>().Value,
            sp.GetService<ILogger<EmbeddedVectorStore>>()));
        services.AddSingleton<IVectorStore>(sp => new InstrumentedVectorStore(
            sp.GetRequiredService<EmbeddedVectorStore>(),
            sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
