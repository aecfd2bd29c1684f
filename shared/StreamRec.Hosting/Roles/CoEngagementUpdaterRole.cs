using Microsoft.Extensions.Hosting;
using StreamRec.Contracts;
using StreamRec.Kafka.Consuming;
using StreamRec.Kafka.DependencyInjection;
using StreamRec.Pipeline.Handlers;
using StreamRec.Pipeline.Options;

namespace StreamRec.Hosting;

/// <summary>The co-engagement-updater (the item side): streamrec.engagements → each item's co-engagement row, exactly
/// once. See services/StreamRec.CoEngagementUpdater/README.md.</summary>
public static class CoEngagementUpdaterRole
{
    /// <summary>Adds the co-engagement-updater's options (<c>StreamRec:CoEngagementUpdater</c>) and its consumer of
    /// streamrec.engagements. Call after <see cref="StreamRecHost.AddStreamRecDefaults"/>.</summary>
    public static TBuilder AddCoEngagementUpdater<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        var options = builder.AddRole<CoEngagementUpdaterOptions>(Roles.CoEngagementUpdater, CoEngagementUpdaterOptions.SectionName);
        builder.Services.AddStreamRecConsumer<CoEngagementHandler>(
            "co-engagement-updater", options.GroupId, new ConsumerBatching(options.MaxBatchSize, options.MaxBatchWait), Topics.Engagements);
        return builder;
    }
}
