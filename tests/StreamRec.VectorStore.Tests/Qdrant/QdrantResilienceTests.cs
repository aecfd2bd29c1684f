using System.Net;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StreamRec.Observability;
using StreamRec.Ports;
using StreamRec.VectorStore.Qdrant;

namespace StreamRec.VectorStore.Tests.Qdrant;

/// <summary>Retry, circuit breaker and timeouts on a fake clock: a scripted handler answers instantly
/// and the test moves time forward, so nothing sleeps. Not parallel: the breaker gauge is process-wide.</summary>
[CollectionDefinition(nameof(QdrantResilienceTests), DisableParallelization = true)]
[Collection(nameof(QdrantResilienceTests))]
public sealed class QdrantResilienceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static double BreakerGauge => StreamRecMetrics.CircuitBreakerState.WithLabels("qdrant").Value;

    [Fact]
    public async Task TransientFailures_AreRetried_ThenGiveUpAfterMaxRetries()
    {
        var time = new FakeTimeProvider();
        var handler = new ScriptedHandler(_ => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
        var store = Store(handler, time, new QdrantOptions { Url = "http://qdrant.test", MaxRetries = 3, BreakerMinimumThroughput = 100 });

        var ex = await RunAsync(time, store.CountAsync("c", Ct));

        Assert.Equal(4, handler.Calls);
        Assert.Equal(503, ex.StatusCode);
        Assert.True(ex.IsTransient);
    }

    [Theory]
    [InlineData(HttpStatusCode.RequestTimeout)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadGateway)]
    public async Task RetryableStatus_ThenOk_Succeeds(HttpStatusCode status)
    {
        var time = new FakeTimeProvider();
        var handler = new ScriptedHandler(call => call == 1 ? new HttpResponseMessage(status) : Ok("""{"result":{"count":7},"status":"ok","time":0}"""));
        var store = Store(handler, time, new QdrantOptions { Url = "http://qdrant.test" });

        var task = store.CountAsync("c", Ct);
        while (!task.IsCompleted)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(1, Ct);
        }

        Assert.Equal(7, await task);
        Assert.Equal(2, handler.Calls);
    }

    [Fact]
    public async Task ConnectionErrors_AreRetried()
    {
        var time = new FakeTimeProvider();
        var handler = new ScriptedHandler(call => call <= 2 ? throw new HttpRequestException("connection refused") : Ok("""{"result":{"count":1},"status":"ok","time":0}"""));
        var store = Store(handler, time, new QdrantOptions { Url = "http://qdrant.test" });

        var task = store.CountAsync("c", Ct);
        while (!task.IsCompleted)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(1, Ct);
        }

        Assert.Equal(1, await task);
        Assert.Equal(3, handler.Calls);
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.Forbidden)]
    public async Task ClientErrors_FailAtOnce_WithoutRetry(HttpStatusCode status)
    {
        var time = new FakeTimeProvider();
        var handler = new ScriptedHandler(_ => new HttpResponseMessage(status) { Content = new StringContent("""{"status":{"error":"nope"},"time":0}""") });
        var store = Store(handler, time, new QdrantOptions { Url = "http://qdrant.test" });

        var ex = await Assert.ThrowsAsync<VectorStoreException>(() => store.CountAsync("c", Ct));

        Assert.Equal(1, handler.Calls);
        Assert.Equal((int)status, ex.StatusCode);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task SlowAttempt_TimesOut_AndIsRetried()
    {
        var time = new FakeTimeProvider();
        var handler = new ScriptedHandler(_ => Ok("""{"result":{"count":3},"status":"ok","time":0}""")) { HangOnCall = 1 };
        var store = Store(handler, time, new QdrantOptions { Url = "http://qdrant.test", AttemptTimeout = TimeSpan.FromSeconds(5) });

        var task = store.CountAsync("c", Ct);
        while (!task.IsCompleted)
        {
            time.Advance(TimeSpan.FromMilliseconds(500));
            await Task.Delay(1, Ct);
        }

        Assert.Equal(3, await task);
        Assert.Equal(2, handler.Calls);
    }

    [Fact]
    public async Task Breaker_OpensAfterFailures_FailsFastAsTransient_ThenHalfOpensAndCloses()
    {
        var time = new FakeTimeProvider();
        var healthy = false;
        double gaugeDuringTrial = -1;
        var handler = new ScriptedHandler(_ =>
        {
            if (!healthy)
            {
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
            }

            gaugeDuringTrial = BreakerGauge;
            return Ok("""{"result":{"count":2},"status":"ok","time":0}""");
        });
        var options = new QdrantOptions
        {
            Url = "http://qdrant.test",
            MaxRetries = 0,
            BreakerMinimumThroughput = 4,
            BreakerFailureRatio = 0.5,
            BreakerSamplingDuration = TimeSpan.FromSeconds(30),
            BreakerBreakDuration = TimeSpan.FromSeconds(15),
        };
        var store = Store(handler, time, options);
        Assert.Equal(0, BreakerGauge);

        for (var i = 0; i < 4; i++)
        {
            var failure = await Assert.ThrowsAsync<VectorStoreException>(() => store.CountAsync("c", Ct));
            Assert.Equal(503, failure.StatusCode);
        }

        Assert.Equal(2, BreakerGauge);
        var open = await Assert.ThrowsAsync<VectorStoreException>(() => store.CountAsync("c", Ct));
        Assert.True(open.IsTransient);
        Assert.Contains("circuit is open", open.Message, StringComparison.Ordinal);
        Assert.Equal(4, handler.Calls);

        healthy = true;
        time.Advance(TimeSpan.FromSeconds(16));
        Assert.Equal(2, await store.CountAsync("c", Ct));

        Assert.Equal(1, gaugeDuringTrial);
        Assert.Equal(0, BreakerGauge);
        Assert.Equal(5, handler.Calls);
    }

    [Fact]
    public async Task Breaker_HalfOpenTrialFails_OpensAgain()
    {
        var time = new FakeTimeProvider();
        var handler = new ScriptedHandler(_ => new HttpResponseMessage(HttpStatusCode.InternalServerError));
        var store = Store(handler, time, new QdrantOptions { Url = "http://qdrant.test", MaxRetries = 0, BreakerMinimumThroughput = 2 });

        await Assert.ThrowsAsync<VectorStoreException>(() => store.CountAsync("c", Ct));
        await Assert.ThrowsAsync<VectorStoreException>(() => store.CountAsync("c", Ct));
        Assert.Equal(2, BreakerGauge);

        time.Advance(TimeSpan.FromSeconds(16));
        await Assert.ThrowsAsync<VectorStoreException>(() => store.CountAsync("c", Ct));
        Assert.Equal(3, handler.Calls);
        Assert.Equal(2, BreakerGauge);

        var open = await Assert.ThrowsAsync<VectorStoreException>(() => store.CountAsync("c", Ct));
        Assert.True(open.IsTransient);
        Assert.Equal(3, handler.Calls);
    }

    private static async Task<VectorStoreException> RunAsync(FakeTimeProvider time, Task task)
    {
        while (!task.IsCompleted)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(1, Ct);
        }

        return await Assert.ThrowsAsync<VectorStoreException>(() => task);
    }

    private static QdrantVectorStore Store(ScriptedHandler handler, TimeProvider time, QdrantOptions options) =>
        new(new HttpClient(handler), Options.Create(options), time);

    private static HttpResponseMessage Ok(string json) =>
        new(HttpStatusCode.OK) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };

    private sealed class ScriptedHandler(Func<int, HttpResponseMessage> respond) : HttpMessageHandler
    {
        private int _calls;

        public int Calls => _calls;

        /// <summary>This call never answers until cancelled (by the attempt timeout).</summary>
        public int HangOnCall { get; init; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var call = Interlocked.Increment(ref _calls);
            if (call == HangOnCall)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            return respond(call);
        }
    }
}
