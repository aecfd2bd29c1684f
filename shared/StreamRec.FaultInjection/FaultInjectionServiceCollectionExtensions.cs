using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StreamRec.Ports;

namespace StreamRec.FaultInjection;

/// <summary>TEST ONLY wiring of <see cref="FaultInjectionOptions"/>.</summary>
public static class FaultInjectionServiceCollectionExtensions
{
    /// <summary>
    /// When <c>StreamRec:FaultInjection</c> arms a hook, decorates the registered <see cref="IVectorStore"/> with
    /// <see cref="FaultInjectionVectorStore"/>; otherwise registers nothing at all. Call after the store is registered.
    /// </summary>
    public static IServiceCollection AddStreamRecFaultInjection(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(FaultInjectionOptions.SectionName).Get<FaultInjectionOptions>();
        if (options is not { IsEnabled: true })
        {
            return services;
        }

        services.AddOptions<FaultInjectionOptions>().BindConfiguration(FaultInjectionOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        var original = services.LastOrDefault(d => d.ServiceType == typeof(IVectorStore))
            ?? throw new InvalidOperationException("fault injection needs an IVectorStore registered first");
        services.Remove(original);
        services.AddSingleton<IVectorStore>(sp => new FaultInjectionVectorStore(
            Resolve(sp, original),
            options,
            sp.GetRequiredService<TimeProvider>(),
            static message =>
            {
                Console.Error.WriteLine(message);
                Environment.FailFast(message);
            }));
        return services;
    }

    private static IVectorStore Resolve(IServiceProvider sp, ServiceDescriptor descriptor) =>
        descriptor.ImplementationInstance as IVectorStore
        ?? descriptor.ImplementationFactory?.Invoke(sp) as IVectorStore
        ?? (IVectorStore)ActivatorUtilities.CreateInstance(sp, descriptor.ImplementationType!);
}
