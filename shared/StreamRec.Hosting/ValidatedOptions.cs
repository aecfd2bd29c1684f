using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace StreamRec.Hosting;

/// <summary>How every StreamRec options class is registered: bound from its section, data annotations checked at start-up
/// (a bad value stops the host with a message naming it), and the value itself injectable.</summary>
internal static class ValidatedOptions
{
    public static void AddValidatedOptions<T>(this IServiceCollection services, string section)
        where T : class
    {
        services.AddOptions<T>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<T>>().Value);
    }

    /// <summary>Also returns the configured value now, for what registration itself needs (a consumer group id).</summary>
    public static T AddValidatedOptions<T>(this IServiceCollection services, string section, IConfiguration configuration)
        where T : class, new()
    {
        services.AddValidatedOptions<T>(section);
        return configuration.GetSection(section).Get<T>() ?? new T();
    }
}
