using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamRec.Encoding.Provisioning;
using StreamRec.Ports;

namespace StreamRec.Encoding;

public static class EncodingServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates <c>StreamRec:Encoder</c> and registers <see cref="ITextEncoder"/> as a singleton
    /// <see cref="OnnxTextEncoder"/>, created on first use through <see cref="ModelProvisioner"/> (which may synthesize
    /// the default model, a few seconds the first time).
    /// </summary>
    public static IServiceCollection AddStreamRecEncoder(this IServiceCollection services)
    {
        services.AddOptions<EncoderOptions>()
            .BindConfiguration(EncoderOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new ModelProvisioner(
            sp.GetRequiredService<IOptions<EncoderOptions>>(),
            sp.GetService<ILogger<ModelProvisioner>>(),
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => new OnnxTextEncoder(
            sp.GetRequiredService<ModelProvisioner>().Resolve(),
            sp.GetRequiredService<IOptions<EncoderOptions>>().Value,
            sp.GetService<ILogger<OnnxTextEncoder>>(),
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<ITextEncoder>(sp => sp.GetRequiredService<OnnxTextEncoder>());
        return services;
    }
}
