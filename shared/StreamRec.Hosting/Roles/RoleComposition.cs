using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace StreamRec.Hosting;

/// <summary>Composes several roles in one process (<c>streamrec serve</c>, <c>streamrec run</c>, the test and bench hosts).</summary>
public static class RoleComposition
{
    /// <summary>Adds each role in <paramref name="roles"/> with its own <c>Add…()</c>, in the order of the flow (item-indexer,
    /// profile-updater, recommender, co-engagement-updater; hosted services start in registration order).
    /// Call after <see cref="StreamRecHost.AddStreamRecDefaults"/>.</summary>
    public static TBuilder AddRoles<TBuilder>(this TBuilder builder, Roles roles)
        where TBuilder : IHostApplicationBuilder
    {
        if (roles.HasFlag(Roles.ItemIndexer))
        {
            builder.AddItemIndexer();
        }

        if (roles.HasFlag(Roles.ProfileUpdater))
        {
            builder.AddProfileUpdater();
        }

        if (roles.HasFlag(Roles.Recommender))
        {
            builder.AddRecommender();
        }

        if (roles.HasFlag(Roles.CoEngagementUpdater))
        {
            builder.AddCoEngagementUpdater();
        }

        return builder;
    }

    /// <summary>What every role does first: records itself (the <see cref="StoreInitializer"/> prepares the collections of
    /// every hosted role before any consumer starts), adds the encoder if it encodes, and binds and validates its own
    /// options section, returning the configured value for what registration needs (its consumer group).</summary>
    internal static TOptions AddRole<TOptions>(this IHostApplicationBuilder builder, Roles role, string section, bool encodes = false)
        where TOptions : class, new()
    {
        HostedRoles.Of(builder.Services).Value |= role;
        if (encodes)
        {
            builder.Services.AddEncoderOnce();
        }

        return builder.Services.AddValidatedOptions<TOptions>(section, builder.Configuration);
    }
}

/// <summary>The roles added to one service collection so far, registered by <see cref="StreamRecHost.AddStreamRecDefaults"/>.</summary>
internal sealed class HostedRoles
{
    public Roles Value { get; set; }

    /// <summary>Whether a role already added the encoder and its readiness check (the item-indexer and the profile-updater both need it).</summary>
    public bool HasEncoder { get; set; }

    public static HostedRoles Of(IServiceCollection services) =>
        services.Select(d => d.IsKeyedService ? null : d.ImplementationInstance).OfType<HostedRoles>().SingleOrDefault()
        ?? throw new InvalidOperationException("Add the StreamRec defaults (AddStreamRecDefaults) before any role: the store initializer must start before the consumers.");
}
