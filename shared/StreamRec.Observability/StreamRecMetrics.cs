using Prometheus;

namespace StreamRec.Observability;

/// <summary>
/// Every metric StreamRec exports, in one place so dashboards, alerts and the test that checks them
/// agree on names. Names follow <c>streamrec_&lt;thing&gt;_&lt;unit&gt;[_total]</c>; label values are few
/// and bounded (topics, outcomes, operations, stages), never user or item ids.
/// </summary>
public static class StreamRecMetrics
{
    /// <summary>Outcome label values of <see cref="EventsProcessed"/>.</summary>
    public static class Outcomes
    {
        public const string Ok = "ok";
        public const string SkippedReplay = "skipped_replay";
        public const string DeadLettered = "dead_lettered";
        public const string Retried = "retried";
        public const string Duplicate = "duplicate";
        public const string UnknownUser = "unknown_user";
    }

    private static readonly double[] LatencyBuckets =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private static readonly double[] RatioBuckets = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

    public static readonly Counter EventsConsumed = Metrics.CreateCounter(
        "streamrec_events_consumed_total", "Kafka messages handed to a handler.",
        new CounterConfiguration { LabelNames = ["topic"] });

    public static readonly Counter EventsProcessed = Metrics.CreateCounter(
        "streamrec_events_processed_total", "Messages finished, by outcome: ok, skipped_replay, dead_lettered, retried.",
        new CounterConfiguration { LabelNames = ["topic", "outcome"] });

    public static readonly Counter DeadLetters = Metrics.CreateCounter(
        "streamrec_dead_letters_total", "Messages sent to streamrec.dlq, by source topic.",
        new CounterConfiguration { LabelNames = ["topic"] });

    public static readonly Gauge ConsumerLag = Metrics.CreateGauge(
        "streamrec_consumer_lag_messages", "High watermark minus the next offset to consume, per assigned partition.",
        new GaugeConfiguration { LabelNames = ["topic", "partition"] });

    public static readonly Gauge PartitionsAssigned = Metrics.CreateGauge(
        "streamrec_partitions_assigned", "Partitions currently assigned to this process, per topic.",
        new GaugeConfiguration { LabelNames = ["topic"] });

    public static readonly Gauge PartitionsPaused = Metrics.CreateGauge(
        "streamrec_partitions_paused", "Partitions paused for backpressure or an open circuit, per topic.",
        new GaugeConfiguration { LabelNames = ["topic"] });

    public static readonly Histogram BatchSize = Metrics.CreateHistogram(
        "streamrec_batch_size_messages", "Messages per handler batch.",
        new HistogramConfiguration { LabelNames = ["topic"], Buckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] });

    public static readonly Histogram FetchDelay = Metrics.CreateHistogram(
        "streamrec_consumer_fetch_delay_seconds", "Per batch, its first message's time from its Kafka timestamp to the poll that returned it (producer linger, broker, fetch wait).",
        new HistogramConfiguration { LabelNames = ["topic"], Buckets = LatencyBuckets });

    public static readonly Histogram BatchWait = Metrics.CreateHistogram(
        "streamrec_consumer_batch_wait_seconds", "Per batch, its first message's time from the poll that returned it to the handler starting (channel queue and batch window).",
        new HistogramConfiguration { LabelNames = ["topic"], Buckets = LatencyBuckets });

    public static readonly Histogram StageDuration = Metrics.CreateHistogram(
        "streamrec_stage_duration_seconds", "Wall time per pipeline stage and batch (decode, load, state, encode, engagements, store, notify, commit, co_engagement, trending, list_build, retrieve, rank, publish).",
        new HistogramConfiguration { LabelNames = ["stage"], Buckets = LatencyBuckets });

    public static readonly Counter EncoderTexts = Metrics.CreateCounter(
        "streamrec_encoder_texts_total", "Texts encoded.");

    public static readonly Counter EncoderTokens = Metrics.CreateCounter(
        "streamrec_encoder_tokens_total", "Tokens (after truncation, before padding) run through the encoder.");

    public static readonly Histogram EncoderBatchDuration = Metrics.CreateHistogram(
        "streamrec_encoder_batch_duration_seconds", "Wall time of one encoder batch (tokenize, run, pool).",
        new HistogramConfiguration { Buckets = LatencyBuckets });

    public static readonly Gauge EncoderInfo = Metrics.CreateGauge(
        "streamrec_encoder_info", "1 for the loaded encoder; labels say which model and execution provider.",
        new GaugeConfiguration { LabelNames = ["model", "provider"] });

    public static readonly Histogram VectorStoreRequestDuration = Metrics.CreateHistogram(
        "streamrec_vectorstore_request_duration_seconds", "Vector-store call latency per operation, retries included.",
        new HistogramConfiguration { LabelNames = ["operation"], Buckets = LatencyBuckets });

    public static readonly Counter VectorStoreErrors = Metrics.CreateCounter(
        "streamrec_vectorstore_errors_total", "Vector-store calls that failed after retries, per operation.",
        new CounterConfiguration { LabelNames = ["operation"] });

    public static readonly Gauge CircuitBreakerState = Metrics.CreateGauge(
        "streamrec_circuit_breaker_state", "0 closed, 1 half-open, 2 open, per dependency.",
        new GaugeConfiguration { LabelNames = ["dependency"] });

    public static readonly Histogram EventToList = Metrics.CreateHistogram(
        "streamrec_event_to_list_seconds",
        "Freshness: from the triggering event's occurred_at (from=occurred) or its arrival in Kafka (from=arrival) to the list's publication.",
        new HistogramConfiguration { LabelNames = ["from"], Buckets = LatencyBuckets });

    public static readonly Counter ListsPublished = Metrics.CreateCounter(
        "streamrec_lists_published_total", "Recommendation lists published, by strategy (personalized, trending, forgotten).",
        new CounterConfiguration { LabelNames = ["strategy"] });

    public static readonly Histogram ListDiversity = Metrics.CreateHistogram(
        "streamrec_list_diversity_ratio", "Intra-list diversity of published lists: mean pairwise cosine distance / 2.",
        new HistogramConfiguration { Buckets = RatioBuckets });

    public static readonly Histogram ListFreshShare = Metrics.CreateHistogram(
        "streamrec_list_fresh_items_ratio", "Share of items in a published list younger than the freshness horizon.",
        new HistogramConfiguration { Buckets = RatioBuckets });

    public static readonly Gauge CatalogCoverage = Metrics.CreateGauge(
        "streamrec_catalog_coverage_ratio", "Distinct items recommended over the coverage window / items indexed.");

    public static readonly Counter ItemsIndexed = Metrics.CreateCounter(
        "streamrec_items_indexed_total", "Item upserts and retirements written to the vector store, by op.",
        new CounterConfiguration { LabelNames = ["op"] });

    /// <summary>Outcome label values of <see cref="ParkedEventsTotal"/>.</summary>
    public static class ParkedOutcomes
    {
        /// <summary>Parked: its item is not indexed yet, or an earlier event of its user waits.</summary>
        public const string Parked = "parked";

        /// <summary>Applied after waiting.</summary>
        public const string Unparked = "unparked";

        /// <summary>Dead-lettered after the attempt or age bound (or because its user's parking list was full).</summary>
        public const string Expired = "expired";

        /// <summary>Discarded by a forget request of its user.</summary>
        public const string Dropped = "dropped";
    }

    public static readonly Gauge ParkedEvents = Metrics.CreateGauge(
        "streamrec_parked_events", "User events parked until their item is indexed, per source topic, in the partitions this process owns.",
        new GaugeConfiguration { LabelNames = ["topic"] });

    public static readonly Counter ParkedEventsTotal = Metrics.CreateCounter(
        "streamrec_parked_events_total", "Parking transitions of user events, by outcome: parked, unparked, expired, dropped.",
        new CounterConfiguration { LabelNames = ["topic", "outcome"] });

    public static readonly Counter CoEngagementRowsWritten = Metrics.CreateCounter(
        "streamrec_co_engagement_rows_written_total", "Co-engagement rows the item side wrote: each row a batch changed, once per batch, whole. Against the applied contributions, how often a row is rewritten.");

    public static readonly Counter CoEngagementContributions = Metrics.CreateCounter(
        "streamrec_co_engagement_contributions_total", "Contributions to items' co-engagement rows handled by the item side: ok = applied, skipped_replay = applied before (a replay).",
        new CounterConfiguration { LabelNames = ["outcome"] });

    public static readonly Counter DuplicateEvents = Metrics.CreateCounter(
        "streamrec_duplicate_events_total", "User events not applied because their event_id was among the user's recent event ids.",
        new CounterConfiguration { LabelNames = ["topic"] });

    public static readonly Counter UsersUpdated = Metrics.CreateCounter(
        "streamrec_users_updated_total", "User vectors written to the vector store.");
}
