using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Prometheus;
using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Encoding;
using StreamRec.Kafka.DependencyInjection;
using StreamRec.Pipeline.Engines;
using StreamRec.Pipeline.ItemSide;
using StreamRec.Ports;
using StreamRec.Pipeline.Handlers;
using StreamRec.Pipeline.Options;
using StreamRec.VectorStore.Embedded;
using StreamRec.VectorStore.Qdrant;

namespace StreamRec.Hosting;

/// <summary>Builds a StreamRec service host: one call per Program.cs.</summary>
public static class StreamRecHost
{
    private const string ReadyTag = "ready";

    /// <summary>A web host (for /metrics, /healthz, /readyz) running the given services.</summary>
    public static WebApplicationBuilder CreateBuilder(string[] args, Roles roles, int defaultPort)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.AddStreamRec(roles, defaultPort);
        return builder;
    }

    /// <summary>Adds the given services, their options and the operations endpoint's configuration to a web host builder.</summary>
    public static WebApplicationBuilder AddStreamRec(this WebApplicationBuilder builder, Roles roles, int defaultPort)
    {
        var http = builder.Configuration.GetSection(HttpOptions.SectionName).Get<HttpOptions>() ?? new HttpOptions();
        var port = http.Port == 0 && builder.Configuration[$"{HttpOptions.SectionName}:Port"] is null ? defaultPort : http.Port;
        builder.WebHost.UseUrls($"http://{http.BindAddress}:{port}");
        // Per-request lines from ASP.NET would drown the services' own logs (Prometheus scrapes every few seconds).
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.AddStreamRecServices(builder.Configuration, roles);
        return builder;
    }

    /// <summary>Registers the services of <paramref name="roles"/> with everything they need.</summary>
    public static IServiceCollection AddStreamRecServices(this IServiceCollection services, IConfiguration configuration, Roles roles)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<HttpOptions>().BindConfiguration(HttpOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        Bind<ParseLimits>(services, ParseLimits.SectionName);
        Bind<ProfileOptions>(services, ProfileOptions.SectionName);
        Bind<RankingOptions>(services, RankingOptions.SectionName);
        Bind<CoEngagementOptions>(services, CoEngagementOptions.SectionName);
        services.TryAddSingleton<CoEngagementStore>();
        services.AddStreamRecKafka();
        AddVectorStore(services, configuration);

        var needsEncoder = (roles & (Roles.ItemIndexer | Roles.ProfileUpdater)) != 0;
        if (needsEncoder)
        {
            services.AddStreamRecEncoder();
        }

        // Collections first: hosted services start in registration order, and consumers must not run before the store is ready.
        services.AddSingleton(sp => new StoreInitializer(sp, roles));
        services.AddHostedService(sp => sp.GetRequiredService<StoreInitializer>());

        var health = services.AddHealthChecks()
            .AddCheck<KafkaReadinessCheck>("kafka", tags: [ReadyTag])
            .AddCheck<VectorStoreReadinessCheck>("vector-store", tags: [ReadyTag]);
        if (needsEncoder)
        {
            health.AddCheck<EncoderReadinessCheck>("encoder", tags: [ReadyTag]);
        }

        if (roles.HasFlag(Roles.ItemIndexer))
        {
            var options = Bind<ItemIndexerOptions>(services, ItemIndexerOptions.SectionName, configuration);
            services.TryAddSingleton<ItemIndexEngine>();
            services.AddStreamRecConsumer<ItemIndexerHandler>("item-indexer", options.GroupId, Topics.Items);
        }

        if (roles.HasFlag(Roles.ProfileUpdater))
        {
            var options = Bind<ProfileUpdaterOptions>(services, ProfileUpdaterOptions.SectionName, configuration);
            services.TryAddSingleton<ProfileEngine>();
            services.AddStreamRecConsumer<ProfileUpdaterHandler>("profile-updater", options.GroupId, Topics.Clicks, Topics.Reviews);
        }

        if (roles.HasFlag(Roles.Recommender))
        {
            var options = Bind<RecommenderOptions>(services, RecommenderOptions.SectionName, configuration);
            services.TryAddSingleton(sp =>
            {
                var ranking = sp.GetRequiredService<RankingOptions>();
                return new TrendingCounter(ranking.TrendingHalfLife, ranking.TrendingPriorHalfLife, ranking.TrendingPriorWeight);
            });
            services.TryAddSingleton(new ServedListStats(options.CoverageWindow));
            services.TryAddSingleton<ICoEngagementSource>(sp => sp.GetRequiredService<CoEngagementStore>());
            services.TryAddSingleton<RecommendationEngine>();
            services.AddHostedService<CatalogSizeRefresher>();
            services.AddStreamRecConsumer<RecommenderHandler>("recommender", options.GroupId, Topics.UserVectors);

            // Trending must count every click, not only this instance's partitions: each instance is its own
            // group and, starting from the earliest retained click, rebuilds its counts after a restart.
            var instance = Guid.NewGuid().ToString("N")[..8];
            services.AddStreamRecConsumer<TrendingHandler>("recommender", $"{options.TrendingGroupId}-{instance}", Topics.Clicks);
        }

        if (roles.HasFlag(Roles.CoEngagementUpdater))
        {
            var options = Bind<CoEngagementUpdaterOptions>(services, CoEngagementUpdaterOptions.SectionName, configuration);
            services.AddStreamRecConsumer<CoEngagementHandler>("co-engagement-updater", options.GroupId, Topics.Engagements);
        }

        return services;
    }

    /// <summary>Maps /metrics, /healthz (alive), /readyz (ready to process) and, on a recommender, GET /recommendations/{userId}.</summary>
    public static WebApplication MapStreamRecEndpoints(this WebApplication app)
    {
        app.MapMetrics("/metrics");
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag) });
        if (app.Services.GetService<RecommendationEngine>() is { } engine)
        {
            app.MapGet("/recommendations/{userId}", async (string userId, TimeProvider time, CancellationToken ct) =>
            {
                var profiles = await engine.LoadProfilesAsync([userId], ct);
                var profile = profiles.GetValueOrDefault(userId);
                var now = time.GetUtcNow();
                var result = (await engine.RecommendAsync([profile], now, ct))[0];
                var trigger = new TriggerRef { EventId = "http-request", OccurredAt = now };
                var list = RecommendationEngine.ToMessage(userId, result, trigger, now);
                return Results.Bytes(EventParser.Serialize(list), "application/json");
            });
        }

        return app;
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

    private static void Bind<T>(IServiceCollection services, string section)
        where T : class
    {
        services.AddOptions<T>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<T>>().Value);
    }

    private static T Bind<T>(IServiceCollection services, string section, IConfiguration configuration)
        where T : class, new()
    {
        Bind<T>(services, section);
        return configuration.GetSection(section).Get<T>() ?? new T();
    }
}
