using System.Net;
using System.Net.Sockets;
using StreamRec.Encoding.Provisioning;

namespace StreamRec.Encoding.Tests.Provisioning;

/// <summary>Never touches the internet: a refused localhost port, an unroutable address, and a local HTTP server.</summary>
public sealed class ModelFetcherTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "streamrec-fetch-" + Guid.NewGuid().ToString("N"));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task<EncodingException> FetchFailsAsync(string hubUrl, int connectTimeoutSeconds)
    {
        var options = new EncoderOptions { ModelsDirectory = _dir, ModelHubUrl = hubUrl, FetchConnectTimeoutSeconds = connectTimeoutSeconds };
        // No proxy: a proxy on the test machine would answer for the unroutable address itself.
        using var http = ModelFetcher.CreateHttpClient(options, useProxy: false);
        var fetcher = new ModelFetcher(http, options);
        // A safety net only: the fetch must fail by itself through its connect timeout, well before this.
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        guard.CancelAfter(TimeSpan.FromSeconds(60));

        return await Assert.ThrowsAsync<EncodingException>(() => fetcher.FetchAsync("all-MiniLM-L6-v2", null, null, guard.Token));
    }

    [Fact]
    public async Task FetchAsync_ConnectionRefused_FailsWithClearOfflineMessage()
    {
        var ex = await FetchFailsAsync($"http://127.0.0.1:{FreePort()}", 5);

        Assert.Contains("Could not download", ex.Message, StringComparison.Ordinal);
        Assert.Contains("machine with internet", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "all-MiniLM-L6-v2", "model.onnx")));
    }

    [Fact]
    public async Task FetchAsync_UnroutableAddress_GivesUpAtConnectTimeout()
    {
        // 10.255.255.1 is private and normally unroutable: the connect hangs until the connect timeout, or fails at
        // once; a sandbox that intercepts traffic may instead answer with an HTTP error. All must end in a clear error.
        var ex = await FetchFailsAsync("http://10.255.255.1", 1);

        Assert.Contains("copy the model folder here", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_UnknownModel_ListsKnownModels()
    {
        var options = new EncoderOptions { ModelsDirectory = _dir };
        using var http = ModelFetcher.CreateHttpClient(options);

        var ex = await Assert.ThrowsAsync<EncodingException>(() =>
            new ModelFetcher(http, options).FetchAsync("no-such-model", null, null, TestContext.Current.CancellationToken));

        Assert.Contains("all-MiniLM-L6-v2", ex.Message, StringComparison.Ordinal);
        Assert.Contains("bge-small-en-v1.5", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_LocalServer_DownloadsFilesAndRecordsChecksumsAndPooling()
    {
        var port = FreePort();
        using var server = new HttpListener();
        server.Prefixes.Add($"http://127.0.0.1:{port}/");
        server.Start();
        var requested = new List<string>();
        var serving = Task.Run(async () =>
        {
            for (var i = 0; i < 4; i++)
            {
                var context = await server.GetContextAsync();
                requested.Add(context.Request.Url!.AbsolutePath);
                var body = System.Text.Encoding.UTF8.GetBytes("content of " + context.Request.Url.AbsolutePath);
                context.Response.ContentLength64 = body.Length;
                await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
            }
        }, TestContext.Current.CancellationToken);
        var options = new EncoderOptions { ModelsDirectory = _dir, ModelHubUrl = $"http://127.0.0.1:{port}" };
        using var http = ModelFetcher.CreateHttpClient(options);
        var progress = new List<FetchProgress>();

        var dir = await new ModelFetcher(http, options).FetchAsync("bge-small-en-v1.5", null, new SyncProgress(progress), TestContext.Current.CancellationToken);
        await serving;

        Assert.Contains("/BAAI/bge-small-en-v1.5/resolve/main/onnx/model.onnx", requested);
        Assert.Equal("content of /BAAI/bge-small-en-v1.5/resolve/main/vocab.txt", File.ReadAllText(Path.Combine(dir, "vocab.txt")));
        var manifest = ModelManifest.TryRead(dir);
        Assert.NotNull(manifest);
        Assert.Equal(PoolingMode.Cls, manifest.Pooling);
        var onnx = Assert.Single(manifest.Files, f => f.Path == "model.onnx");
        Assert.Equal(
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(dir, "model.onnx")))),
            onnx.Sha256);
        Assert.Equal("computed", onnx.Sha256Source);
        Assert.Contains(progress, p => p.File == "model.onnx" && p.BytesDone == p.BytesTotal);
    }

    private sealed class SyncProgress(List<FetchProgress> into) : IProgress<FetchProgress>
    {
        public void Report(FetchProgress value) => into.Add(value);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
