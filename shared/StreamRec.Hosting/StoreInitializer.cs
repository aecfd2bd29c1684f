using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StreamRec.Pipeline.Engines;
using StreamRec.Pipeline.ItemSide;
using StreamRec.Ports;

namespace StreamRec.Hosting;

/// <summary>
/// Runs before the consumers: services that encode create (or check) the collections they write; a recommender
/// alone waits until they exist. A wrong dimension stops the host with the store's message, a store written by another
/// encoder model with <see cref="EncoderMismatchException"/>.
/// </summary>
public sealed partial class StoreInitializer : IHostedService
{
    private readonly IServiceProvider _services;
    private readonly Roles _roles;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public StoreInitializer(IServiceProvider services, Roles roles)
    {
        _services = services;
        _roles = roles;
    }

    /// <summary>Completes when the collections are usable.</summary>
    public Task Ready => _ready.Task;

    public bool IsReady => _ready.Task.IsCompletedSuccessfully;

    /// <summary>The collection a readiness probe counts: the items for every role that reads them, the item side's own
    /// rows for a co-engagement-updater alone (it never touches the items).</summary>
    public string ProbeCollection => (_roles & (Roles.ItemIndexer | Roles.ProfileUpdater | Roles.Recommender)) != 0 ? Collections.Items : Collections.ItemEngagement;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var logger = _services.GetRequiredService<ILogger<StoreInitializer>>();
        var store = _services.GetRequiredService<IVectorStore>();
        if (_roles.HasFlag(Roles.ItemIndexer))
        {
            await _services.GetRequiredService<ItemIndexEngine>().EnsureCollectionAsync(cancellationToken);
        }

        if (_roles.HasFlag(Roles.ProfileUpdater))
        {
            var engine = _services.GetRequiredService<ProfileEngine>();
            await engine.EnsureCollectionAsync(cancellationToken);
            // The profile-updater reads item vectors: the items collection must exist even before the indexer's first item.
            await store.EnsureCollectionAsync(Collections.ItemsSpec(engine.Dimension), cancellationToken);
        }

        if ((_roles & (Roles.ItemIndexer | Roles.ProfileUpdater)) != 0)
        {
            // The roles that encode: the store's vectors must be their model's (a different one stops the host, naming both).
            var encoder = _services.GetRequiredService<ITextEncoder>().Info;
            await EncoderRecord.CheckOrRecordAsync(store, encoder, cancellationToken);
            LogEncoder(logger, encoder.ModelName);
        }

        if ((_roles & (Roles.CoEngagementUpdater | Roles.Recommender)) != 0)
        {
            // Its own collection, written by the item side and read by the recommender: either may start first.
            await _services.GetRequiredService<CoEngagementStore>().EnsureCollectionAsync(cancellationToken);
        }

        if (_roles == Roles.Recommender)
        {
            var delay = TimeSpan.FromMilliseconds(200);
            while (true)
            {
                try
                {
                    await store.CountAsync(Collections.Items, cancellationToken);
                    await store.CountAsync(Collections.Users, cancellationToken);
                    break;
                }
                catch (VectorStoreException ex)
                {
                    LogWaiting(logger, ex.Message);
                    await Task.Delay(delay, _services.GetService<TimeProvider>() ?? TimeProvider.System, cancellationToken);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
                }
            }
        }

        LogReady(logger, _roles.ToString());
        _ready.TrySetResult();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 5000, Level = LogLevel.Information, Message = "Vector store ready for {Roles}")]
    private static partial void LogReady(ILogger logger, string roles);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "The vector store's vectors are the encoder {Model}'s")]
    private static partial void LogEncoder(ILogger logger, string model);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Waiting for the items and users collections to exist (the item-indexer and profile-updater create them): {Reason}")]
    private static partial void LogWaiting(ILogger logger, string reason);
}
