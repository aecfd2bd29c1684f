using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using StreamRec.Contracts;
using StreamRec.Kafka.DependencyInjection;
using StreamRec.Pipeline.Engines;
using StreamRec.Pipeline.Handlers;
using StreamRec.Pipeline.Options;

namespace StreamRec.Hosting;

/// <summary>The item-indexer: streamrec.items → each item's text encoded into the items collection (newest version wins).
/// See services/StreamRec.ItemIndexer/README.md.</summary>
public static class ItemIndexerRole
{
    /// <summary>Adds the item-indexer's options (<c>StreamRec:ItemIndexer</c>), the encoder and its consumer of
    /// streamrec.items. Call after <see cref="StreamRecHost.AddStreamRecDefaults"/>.</summary>
    public static TBuilder AddItemIndexer<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        var options = builder.AddRole<ItemIndexerOptions>(Roles.ItemIndexer, ItemIndexerOptions.SectionName, encodes: true);
        builder.Services.TryAddSingleton<ItemIndexEngine>();
        builder.Services.AddStreamRecConsumer<ItemIndexerHandler>("item-indexer", options.GroupId, Topics.Items);
        return builder;
    }
}
