using Microsoft.Extensions.Logging;
using StreamRec.Contracts;
using StreamRec.Kafka.Producing;
using StreamRec.Messaging;
using StreamRec.Observability;

namespace StreamRec.Kafka.Consuming;

/// <summary>
/// Runs the handler over one batch and finishes every message in it: handled, rejected (the handler returned it as
/// poison) or failed on its own (after the batch failed non-transiently, the messages are retried one at a time to
/// isolate the poison) go to the dead-letter sink; oversized ones are left to the <see cref="ITopicEventsPolicy"/>; a
/// transient failure pauses fetching (<see cref="BackingOff"/>), backs off and retries what is unfinished. Each attempt
/// holds the in-flight gate, and offsets are stored after the handler returned, before the gate is released.
/// </summary>
/// <param name="abort">The hard stop: handler calls and dead letters see it once the shutdown budget is spent.</param>
internal sealed class BatchProcessor(
    IBatchHandler handler,
    ITopicEventsPolicy events,
    IDeadLetterSink deadLetters,
    OffsetStore offsets,
    SemaphoreSlim inFlight,
    RevokeSignal revokes,
    ConsumerContext context,
    CancellationToken abort)
{
    private volatile bool _backingOff;

    /// <summary>True while a batch waits to retry a transient failure: fetching stays paused meanwhile.</summary>
    public bool BackingOff => _backingOff;

    /// <summary>Finishes <paramref name="batch"/>. Throws <see cref="OperationCanceledException"/> when
    /// <paramref name="stoppingToken"/> ends a back-off or the hard stop cancelled the handler; what is unfinished then is
    /// not stored and will be redelivered.</summary>
    public async Task ProcessAsync(List<Envelope> batch, CancellationToken stoppingToken)
    {
        var pending = batch;
        var attempt = 0;
        try
        {
            while (true)
            {
                var revokeToken = revokes.Token;
                Exception? transient;
                await inFlight.WaitAsync(CancellationToken.None);
                try
                {
                    pending = [.. pending.Where(e => !e.State.Revoked)];
                    if (pending.Count == 0)
                    {
                        return;
                    }

                    (pending, transient) = await TryHandleAsync(pending, attempt == 0, abort);
                }
                finally
                {
                    offsets.Store(batch);
                    inFlight.Release();
                }

                if (transient is null)
                {
                    return;
                }

                // Nothing of the failed part is stored; hold the partitions still so no new work piles
                // up behind it, and try again later (the in-flight gate is free meanwhile, so a rebalance
                // does not wait for our back-off).
                attempt++;
                var delay = Backoff.Compute(attempt, context.Options.TransientRetryMinBackoff, context.Options.TransientRetryMaxBackoff, Random.Shared);
                foreach (var envelope in pending)
                {
                    events.CountProcessed(envelope.Message.Topic, StreamRecMetrics.Outcomes.Retried);
                }

                _backingOff = true;
                Log.TransientFailure(context.Logger, transient, context.Group, attempt, pending.Count, delay);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, revokeToken);
                try
                {
                    await Task.Delay(delay, context.Time, linked.Token);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // A rebalance: re-check which messages are still ours, then retry at once.
                }

                if (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
            }
        }
        finally
        {
            _backingOff = false;
        }
    }

    /// <summary>Runs the handler over <paramref name="items"/>. Returns the messages still unfinished
    /// and the transient failure that stopped them, or an empty list and null when all finished.</summary>
    private async Task<(List<Envelope> Pending, Exception? Transient)> TryHandleAsync(List<Envelope> items, bool firstAttempt, CancellationToken cancellationToken)
    {
        var unfinished = new HashSet<Envelope>(items);
        try
        {
            foreach (var tooLarge in items.Where(e => e.TooLarge))
            {
                await events.OnTooLargeAsync(tooLarge.Message, cancellationToken);
                Finish(tooLarge, unfinished);
            }

            var normal = items.Where(e => !e.TooLarge).ToList();
            if (normal.Count == 0)
            {
                return ([], null);
            }

            if (firstAttempt)
            {
                foreach (var group in normal.GroupBy(e => e.Message.Topic))
                {
                    var count = group.Count();
                    events.CountConsumed(group.Key, count);
                    ConsumerMetrics.BatchObserved(group.Key, count);
                }
            }

            IReadOnlyList<PoisonMessage> poison;
            try
            {
                poison = await handler.HandleAsync([.. normal.Select(e => e.Message)], cancellationToken);
            }
            catch (Exception e) when (IsPoison(e, cancellationToken))
            {
                if (normal.Count > 1)
                {
                    Log.IsolatingPoison(context.Logger, e, context.Group, normal.Count);
                    foreach (var envelope in normal)
                    {
                        await HandleOneAsync(envelope, cancellationToken);
                        Finish(envelope, unfinished);
                    }
                }
                else
                {
                    await DeadLetterAsync(normal[0], HandlerErrorReason(e), DeadLetterKinds.HandlerError, cancellationToken);
                    Finish(normal[0], unfinished);
                }

                return ([], null);
            }

            var reasons = PoisonReasons(poison, normal.Count);
            for (var i = 0; i < normal.Count; i++)
            {
                await FinishHandledAsync(normal[i], reasons.GetValueOrDefault(i), cancellationToken);
                Finish(normal[i], unfinished);
            }

            return ([], null);
        }
        catch (Exception e) when (IsTransient(e, cancellationToken))
        {
            return ([.. items.Where(unfinished.Contains)], e);
        }
    }

    private async Task HandleOneAsync(Envelope envelope, CancellationToken cancellationToken)
    {
        try
        {
            var poison = await handler.HandleAsync([envelope.Message], cancellationToken);
            await FinishHandledAsync(envelope, poison.Count > 0 ? poison[0].Reason : null, cancellationToken);
        }
        catch (Exception e) when (IsPoison(e, cancellationToken))
        {
            await DeadLetterAsync(envelope, HandlerErrorReason(e), DeadLetterKinds.HandlerError, cancellationToken);
        }
    }

    /// <summary>The handler returned: a message it rejected (<paramref name="rejection"/> not null) is dead-lettered, any other counts as ok.</summary>
    private Task FinishHandledAsync(Envelope envelope, string? rejection, CancellationToken cancellationToken)
    {
        if (rejection is not null)
        {
            return DeadLetterAsync(envelope, rejection, DeadLetterKinds.Rejected, cancellationToken);
        }

        events.CountProcessed(envelope.Message.Topic, StreamRecMetrics.Outcomes.Ok);
        return Task.CompletedTask;
    }

    /// <summary>The handler's poison list by batch index (the first reason per index); indexes outside the batch are logged and ignored.</summary>
    private Dictionary<int, string> PoisonReasons(IReadOnlyList<PoisonMessage> poison, int count)
    {
        var reasons = new Dictionary<int, string>();
        foreach (var p in poison)
        {
            if (p.Index < 0 || p.Index >= count)
            {
                ConsumerLog.BadPoisonIndex(context.Logger, context.Group, p.Index, count);
                continue;
            }

            reasons.TryAdd(p.Index, p.Reason);
        }

        return reasons;
    }

    /// <summary>The service's own failure on one message: the code, then the exception's message (never its type or stack).</summary>
    private static string HandlerErrorReason(Exception e) => $"{DeadLetterCodes.HandlerError}: {e.Message}";

    private Task DeadLetterAsync(Envelope envelope, string reason, string kind, CancellationToken cancellationToken) =>
        deadLetters.PublishAsync(envelope.Message, reason, kind, context.ServiceName, cancellationToken);

    private static void Finish(Envelope envelope, HashSet<Envelope> unfinished)
    {
        envelope.State.Tracker.Finished(envelope.Message.Offset);
        unfinished.Remove(envelope);
    }

    private static bool IsTransient(Exception e, CancellationToken cancellationToken) =>
        TransientErrors.IsTransient(e) || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private static bool IsPoison(Exception e, CancellationToken cancellationToken) =>
        !IsTransient(e, cancellationToken) && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested);
}
