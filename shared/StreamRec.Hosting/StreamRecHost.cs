using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Encoding;
using StreamRec.Kafka.DependencyInjection;
using StreamRec.Pipeline.ItemSide;
using StreamRec.VectorStore.Embedded;
using StreamRec.VectorStore.Qdrant;

namespace StreamRec.Hosting;

/// <summary>
/// What every StreamRec service shares: the operations endpoint (/metrics, /healthz, /readyz), logging, the options all
/// roles validate, Kafka, the vector store and the store initializer. Each role adds the rest itself
/// (<see cref="ItemIndexerRole"/>, <see cref="ProfileUpdaterRole"/>, <see cref="RecommenderRole"/>,
/// <see cref="CoEngagementUpdaterRole"/>).
/// </summary>
public static class StreamRecHost
{
    internal const string ReadyTag = "ready";

    /// <summary>A web host (for /metrics, /healthz, /readyz) with the shared defaults; add the service's role next.</summary>
    public static WebApplicationBuilder CreateBuilder(string[] args, int defaultPort)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.AddStreamRecDefaults(defaultPort);
        return builder;
    }

    /// <summary>Adds the shared defaults and the operations endpoint's configuration to a web host builder.</summary>
    public static WebApplicationBuilder AddStreamRecDefaults(this WebApplicationBuilder builder, int defaultPort)
    {
        var http = builder.Configuration.GetSection(HttpOptions.SectionName).Get<HttpOptions>() ?? new HttpOptions();
        var port = http.Port == 0 && builder.Configuration[$"{HttpOptions.SectionName}:Port"] is null ? defaultPort : http.Port;
        builder.WebHost.UseUrls($"http://{http.BindAddress}:{port}");
        // Per-request lines from ASP.NET would drown the services' own logs (Prometheus scrapes every few seconds).
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        AddSharedServices(builder.Services, builder.Configuration);
        return builder;
    }

    /// <summary>Maps /metrics, /healthz (alive), /readyz (ready to process) and the endpoints of the hosted roles
    /// (the recommender's GET /recommendations/{userId}).</summary>
    public static WebApplication MapStreamRecEndpoints(this WebApplication app)
    {
        app.MapMetrics("/metrics");
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag) });
        foreach (var endpoints in app.Services.GetServices<RoleEndpoints>())
        {
            endpoints.Map(app);
        }

        return app;
    }

    /// <summary>The encoder and its readiness check, once however many encoding roles the process hosts.</summary>
    internal static void AddEncoderOnce(this IServiceCollection services)
    {
        var hosted = HostedRoles.Of(services);
        if (hosted.HasEncoder)
        {
            return;
        }

        hosted.HasEncoder = true;
        services.AddStreamRecEncoder();
        services.AddHealthChecks().AddCheck<EncoderReadinessCheck>("encoder", tags: [ReadyTag]);
    }

    private static void AddSharedServices(IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<HttpOptions>().BindConfiguration(HttpOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        // Every role validates these at start-up, whichever of them it reads: one bad value stops any service.
        services.AddValidatedOptions<ParseLimits>(ParseLimits.SectionName);
        services.AddValidatedOptions<ProfileOptions>(ProfileOptions.SectionName);
        services.AddValidatedOptions<RankingOptions>(RankingOptions.SectionName);
        services.AddValidatedOptions<CoEngagementOptions>(CoEngagementOptions.SectionName);
        services.AddValidatedOptions<ThreadPoolOptions>(ThreadPoolOptions.SectionName);
        services.TryAddSingleton<CoEngagementStore>();
        services.AddStreamRecKafka();
        AddVectorStore(services, configuration);

        // Collections first: hosted services start in registration order, and consumers (added by the roles, after
        // this) must not run before the store is ready. The initializer reads the roles once they are all added.
        // The thread pool's minimum first of all hosted services: before the store loads and any consumer starts.
        services.AddHostedService<ThreadPoolSetup>();
        var hosted = new HostedRoles();
        services.AddSingleton(hosted);
        services.AddSingleton(sp => new StoreInitializer(sp, hosted.Value));
        services.AddHostedService(sp => sp.GetRequiredService<StoreInitializer>());

        services.AddHealthChecks()
            .AddCheck<KafkaReadinessCheck>("kafka", tags: [ReadyTag])
            .AddCheck<VectorStoreReadinessCheck>("vector-store", tags: [ReadyTag]);
    }

    private static void AddVectorStore(IServiceCollection services, IConfiguration configuration)
    {
        if (!string.IsNullOrWhiteSpace(configuration[$"{QdrantOptions.SectionName}:Url"]))
        {
            services.AddQdrantVectorStore();
        }
        else
        {
            services.AddEmbeddedVectorStore();
        }
    }
}

/// <summary>Endpoints a role adds to its host (the recommender's GET /recommendations/{userId}); <see cref="StreamRecHost.MapStreamRecEndpoints"/> maps each.</summary>
internal sealed record RoleEndpoints(Action<IEndpointRouteBuilder> Map);
