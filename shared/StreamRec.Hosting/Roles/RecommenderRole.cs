using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Kafka.DependencyInjection;
using StreamRec.Pipeline.Engines;
using StreamRec.Pipeline.Handlers;
using StreamRec.Pipeline.ItemSide;
using StreamRec.Pipeline.Options;
using StreamRec.Ports;

namespace StreamRec.Hosting;

/// <summary>The recommender: streamrec.user-vectors → a re-ranked list per user on streamrec.recommendations, trending
/// counted from every click, and GET /recommendations/{userId}. See services/StreamRec.Recommender/README.md.</summary>
public static class RecommenderRole
{
    /// <summary>Adds the recommender's options (<c>StreamRec:Recommender</c>), its engine, the trending counter, the
    /// coverage refresher, its two consumers and its HTTP endpoint. Call after <see cref="StreamRecHost.AddStreamRecDefaults"/>.</summary>
    public static TBuilder AddRecommender<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        var options = builder.AddRole<RecommenderOptions>(Roles.Recommender, RecommenderOptions.SectionName);
        var services = builder.Services;
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
        services.AddStreamRecConsumer<TrendingHandler>("recommender", $"{options.TrendingGroupId}-{instance}", Topics.UserEvents);

        services.AddSingleton(new RoleEndpoints(MapRecommendations));
        return builder;
    }

    /// <summary>GET /recommendations/{userId}: the user's list now, computed like a published one (a user it does not
    /// know gets the trending list).</summary>
    private static void MapRecommendations(IEndpointRouteBuilder endpoints)
    {
        var engine = endpoints.ServiceProvider.GetRequiredService<RecommendationEngine>();
        endpoints.MapGet("/recommendations/{userId}", async (string userId, TimeProvider time, CancellationToken ct) =>
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
}
