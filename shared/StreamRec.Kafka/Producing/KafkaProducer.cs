using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamRec.Kafka.Configuration;
using StreamRec.Messaging;

namespace StreamRec.Kafka.Producing;

/// <summary>
/// The process's one producer. Kafka producers are heavy (threads, connections, buffers) and
/// thread-safe, so one long-lived instance serves every caller. Idempotence with acks=all means a
/// returned call is durable on all in-sync replicas and internal retries cannot duplicate or reorder
/// messages of a partition.
/// </summary>
public sealed class KafkaProducer : IEventPublisher, IDisposable
{
    private readonly IProducer<byte[]?, byte[]> _producer;
    private readonly ILogger<KafkaProducer> _logger;
    private readonly TimeSpan _shutdownTimeout;
    private readonly TimeProvider _time;
    private int _disposed;

    public KafkaProducer(IOptions<KafkaOptions> options, ILogger<KafkaProducer> logger, TimeProvider? time = null)
    {
        var value = options.Value;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _shutdownTimeout = value.ShutdownTimeout;
        var config = KafkaConfigFactory.Producer(value);
        var clientId = config.ClientId;
        _producer = new ProducerBuilder<byte[]?, byte[]>(config)
            .SetErrorHandler((_, e) => Log.ClientError(_logger, clientId, e.Code, e.Reason))
            .SetLogHandler((_, _) => { })
            .Build();
        Log.ProducerCreated(logger, clientId, value.BootstrapServers, Redact.ToLogString(value.Client));
    }

    /// <summary>Produces one message and returns once the broker acknowledged it (acks=all).
    /// Throws <see cref="ProduceException{TKey,TValue}"/> when delivery failed for good.</summary>
    public Task ProduceAsync(string topic, string? key, byte[] value, IReadOnlyList<KeyValuePair<string, byte[]>>? headers, CancellationToken cancellationToken) =>
        ProduceAsync(topic, EncodeKey(key), value, headers, cancellationToken);

    /// <summary>Like <see cref="ProduceAsync(string,string?,byte[],IReadOnlyList{KeyValuePair{string,byte[]}}?,CancellationToken)"/>
    /// with the key as raw bytes (dead letters keep the original key bytes).</summary>
    public async Task ProduceAsync(string topic, byte[]? key, byte[] value, IReadOnlyList<KeyValuePair<string, byte[]>>? headers, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentNullException.ThrowIfNull(value);
        // Cancelling stops the wait only: a message handed to librdkafka may still be delivered.
        await _producer.ProduceAsync(topic, ToMessage(key, value, headers), cancellationToken);
    }

    /// <summary>Hands every message to the producer first and only then awaits the deliveries, so they
    /// share network round trips (the throughput path). Throws the first delivery failure after all finished.</summary>
    public async Task ProduceBatchAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0)
        {
            return;
        }

        var deliveries = new Task[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            deliveries[i] = await EnqueueAsync(m.Topic, ToMessage(EncodeKey(m.Key), m.Value, m.Headers), cancellationToken);
        }

        await Task.WhenAll(deliveries).WaitAsync(cancellationToken);
    }

    /// <summary>The <see cref="IEventPublisher"/> port: <see cref="ProduceBatchAsync"/>, whose acks=all delivery is the
    /// durability the handlers need before they return.</summary>
    Task IEventPublisher.PublishAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken) =>
        ProduceBatchAsync(messages, cancellationToken);

    /// <summary>Waits until every queued message was delivered or <paramref name="timeout"/> passed; returns how many are still queued.</summary>
    public int Flush(TimeSpan timeout) => _producer.Flush(timeout);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Without a flush, messages still in librdkafka's queue would be dropped on dispose.
        var pending = _producer.Flush(_shutdownTimeout);
        if (pending > 0)
        {
            Log.FlushIncomplete(_logger, _shutdownTimeout, pending);
        }

        _producer.Dispose();
    }

    private async ValueTask<Task> EnqueueAsync(string topic, Message<byte[]?, byte[]> message, CancellationToken cancellationToken)
    {
        while (true)
        {
            var delivery = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            try
            {
                _producer.Produce(topic, message, report =>
                {
                    if (report.Error.IsError)
                    {
                        delivery.TrySetException(new ProduceException<byte[]?, byte[]>(report.Error, report));
                    }
                    else
                    {
                        delivery.TrySetResult();
                    }
                });
                return delivery.Task;
            }
            catch (ProduceException<byte[]?, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                // The local queue is full: let deliveries drain it instead of failing the batch.
                await Task.Delay(TimeSpan.FromMilliseconds(5), _time, cancellationToken);
            }
        }
    }

    private static byte[]? EncodeKey(string? key) => key is null ? null : System.Text.Encoding.UTF8.GetBytes(key);

    private static Message<byte[]?, byte[]> ToMessage(byte[]? key, byte[] value, IReadOnlyList<KeyValuePair<string, byte[]>>? headers)
    {
        var message = new Message<byte[]?, byte[]> { Key = key, Value = value };
        if (headers is { Count: > 0 })
        {
            message.Headers = [];
            foreach (var (name, bytes) in headers)
            {
                message.Headers.Add(name, bytes);
            }
        }

        return message;
    }
}
