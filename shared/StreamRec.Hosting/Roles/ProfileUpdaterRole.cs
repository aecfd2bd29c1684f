using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using StreamRec.Contracts;
using StreamRec.Kafka.DependencyInjection;
using StreamRec.Pipeline.Engines;
using StreamRec.Pipeline.Handlers;
using StreamRec.Pipeline.Options;

namespace StreamRec.Hosting;

/// <summary>The profile-updater: streamrec.user-events (clicks, reviews, forget requests) → each user's state in the users collection,
/// a notice on streamrec.user-vectors and the item side's contributions on streamrec.engagements.
/// See services/StreamRec.ProfileUpdater/README.md.</summary>
public static class ProfileUpdaterRole
{
    /// <summary>Adds the profile-updater's options (<c>StreamRec:ProfileUpdater</c>), the encoder (review text) and its
    /// consumer of streamrec.user-events. Call after <see cref="StreamRecHost.AddStreamRecDefaults"/>.</summary>
    public static TBuilder AddProfileUpdater<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        // Reviews carry text: the encoder turns it into the vector a review adds beside its item's.
        var options = builder.AddRole<ProfileUpdaterOptions>(Roles.ProfileUpdater, ProfileUpdaterOptions.SectionName, encodes: true);
        builder.Services.TryAddSingleton<ProfileEngine>();
        builder.Services.AddStreamRecConsumer<ProfileUpdaterHandler>("profile-updater", options.GroupId, Topics.UserEvents);
        return builder;
    }
}
