using System.Diagnostics.CodeAnalysis;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace StreamRec.Encoding.Provisioning;

/// <summary>Progress of one file of a fetch.</summary>
public sealed record FetchProgress(string File, long BytesDone, long? BytesTotal);

/// <summary>
/// Downloads a catalog model (ONNX file, vocabulary, tokenizer and model config) into <c>ModelsDirectory/NAME</c>.
/// Each file lands under a temporary name and is renamed only after its size and checksum check out, so an
/// interrupted fetch never leaves a half file that looks complete.
/// </summary>
public sealed class ModelFetcher
{
    private readonly HttpClient _http;
    private readonly EncoderOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public ModelFetcher(HttpClient http, EncoderOptions options, ILogger<ModelFetcher>? logger = null, TimeProvider? timeProvider = null)
    {
        _http = http;
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>
    /// An HttpClient whose connect attempt gives up after <see cref="EncoderOptions.FetchConnectTimeoutSeconds"/>:
    /// an offline machine gets a clear error in seconds rather than a hang. The overall timeout stays generous
    /// because the ONNX files are tens of megabytes.
    /// </summary>
    [SuppressMessage("Reliability", "CA2000:Dispose objects before losing scope", Justification = "The HttpClient owns the handler (disposeHandler defaults to true) and disposes it with itself.")]
    public static HttpClient CreateHttpClient(EncoderOptions options, bool useProxy = true) =>
        new(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(options.FetchConnectTimeoutSeconds),
            UseProxy = useProxy,
            AllowAutoRedirect = true,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        })
        {
            Timeout = TimeSpan.FromMinutes(30),
        };

    /// <summary>Fetches <paramref name="name"/> into <paramref name="targetDirectory"/> (default ModelsDirectory/NAME).</summary>
    /// <returns>The folder holding the model.</returns>
    public async Task<string> FetchAsync(string name, string? targetDirectory, IProgress<FetchProgress>? progress, CancellationToken cancellationToken)
    {
        var model = ModelCatalog.Find(name)
            ?? throw new EncodingException(
                $"Unknown model '{name}'. Known: {string.Join(", ", ModelCatalog.Models.Select(m => m.Name))}.");
        var dir = Path.GetFullPath(targetDirectory ?? Path.Combine(_options.ModelsDirectory, model.Name));
        Directory.CreateDirectory(dir);
        var previous = ModelManifest.TryRead(dir);
        var files = new List<ManifestFile>();
        foreach (var file in model.Files)
        {
            var url = $"{_options.ModelHubUrl.TrimEnd('/')}/{model.Repository}/resolve/{model.Revision}/{file.RemotePath}";
            var known = file.Sha256 ?? previous?.Files.FirstOrDefault(f => f.Path == file.LocalName)?.Sha256;
            files.Add(await DownloadAsync(url, Path.Combine(dir, file.LocalName), file, known, progress, cancellationToken));
        }

        new ModelManifest
        {
            Name = model.Name,
            Source = $"{_options.ModelHubUrl.TrimEnd('/')}/{model.Repository}",
            Revision = model.Revision,
            Pooling = model.Pooling,
            CreatedAt = _time.GetUtcNow(),
            Files = files,
        }.Write(dir);
        EncoderLog.ModelFetched(_logger, model.Name, dir);
        return dir;
    }

    private async Task<ManifestFile> DownloadAsync(
        string url, string destination, CatalogFile file, string? expectedSha, IProgress<FetchProgress>? progress, CancellationToken cancellationToken)
    {
        // Already there and matching a known checksum: nothing to download.
        if (expectedSha is not null && File.Exists(destination) && await HashAsync(destination, cancellationToken) == expectedSha)
        {
            var length = new FileInfo(destination).Length;
            progress?.Report(new FetchProgress(file.LocalName, length, length));
            return new ManifestFile(file.LocalName, length, expectedSha, file.Sha256 is null ? "computed" : "pinned");
        }

        var temp = destination + ".part";
        try
        {
            using var response = await SendAsync(url, cancellationToken);
            var total = response.Content.Headers.ContentLength;
            long done = 0;
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var source = await response.Content.ReadAsStreamAsync(cancellationToken))
            await using (var target = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                var buffer = new byte[1 << 16];
                int read;
                var lastReport = 0L;
                while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    sha.AppendData(buffer, 0, read);
                    await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    done += read;
                    if (done - lastReport >= 1 << 20)
                    {
                        progress?.Report(new FetchProgress(file.LocalName, done, total));
                        lastReport = done;
                    }
                }
            }

            progress?.Report(new FetchProgress(file.LocalName, done, total));
            if (total is { } expectedLength && expectedLength != done)
            {
                throw new EncodingException($"{url}: received {done} bytes, the server announced {expectedLength}. Try again.");
            }

            if (file.Bytes is { } catalogLength && catalogLength != done)
            {
                throw new EncodingException($"{url}: received {done} bytes, the catalog expects {catalogLength}.");
            }

            var hash = Convert.ToHexStringLower(sha.GetHashAndReset());
            if (expectedSha is not null && !string.Equals(hash, expectedSha, StringComparison.OrdinalIgnoreCase))
            {
                throw new EncodingException($"{url}: SHA-256 {hash} does not match the expected {expectedSha}; the file was not kept.");
            }

            File.Move(temp, destination, overwrite: true);
            return new ManifestFile(file.LocalName, done, hash, file.Sha256 is null ? "computed" : "pinned");
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    private async Task<HttpResponseMessage> SendAsync(string url, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw Offline(url, ex.InnerException is SocketException se ? se.Message : ex.Message, ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw Offline(url, $"no connection within {_options.FetchConnectTimeoutSeconds} s", ex);
        }

        if (!response.IsSuccessStatusCode)
        {
            var status = (int)response.StatusCode;
            var reason = response.ReasonPhrase;
            response.Dispose();
            throw new EncodingException(
                $"Fetching {url} failed: HTTP {status} {reason}. If this machine reaches the internet only " +
                "through a restricted proxy (or not at all), run 'streamrec model fetch' elsewhere and copy the model folder here.");
        }

        return response;
    }

    private static EncodingException Offline(string url, string reason, Exception inner) =>
        new($"Could not download {url}: {reason}. This machine seems to have no route to the model hub: run " +
            "'streamrec model fetch' on a machine with internet and copy the model folder here, or leave " +
            "StreamRec:Encoder:ModelPath empty to use the synthesized default model.", inner);

    private static async Task<string> HashAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }
}
