using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace StreamRec.Hosting;

/// <summary>The process's thread pool. Section <c>StreamRec:ThreadPool</c>.</summary>
/// <remarks>
/// Handlers hold a pool thread through stretches of synchronous work: the item side applying and encoding a batch's
/// rows, SQLite writes and their fsync, the encoder, the recommender's exact scan. The pool starts with one thread per
/// core and adds more only slowly when all are busy, so on a small machine one such stretch stopped every other
/// consumer: at 1k events/s on 2 cores, lists waited for the item side's batch (up to about 190 ms) though they had
/// nothing to do with it (bench pipeline, 2026-12-07, docs/benchmarks.md).
/// </remarks>
public sealed class ThreadPoolOptions
{
    public const string SectionName = "StreamRec:ThreadPool";

    /// <summary>Worker threads the pool creates at once, before it starts to throttle; raised to this at start-up
    /// (never lowered below the runtime's own minimum, one per core). 0 leaves the runtime's default. Default 16.</summary>
    [Range(0, 1024)]
    public int MinWorkerThreads { get; set; } = 16;

    /// <summary>Raises the pool's minimum worker threads to <see cref="MinWorkerThreads"/> (process-wide; only ever
    /// raised, so several hosts in one process keep the largest). Returns the minimum in force after.</summary>
    public int Apply()
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        if (MinWorkerThreads > workers)
        {
            ThreadPool.SetMinThreads(MinWorkerThreads, completionPorts);
        }

        ThreadPool.GetMinThreads(out workers, out _);
        return workers;
    }
}

/// <summary>Applies <see cref="ThreadPoolOptions"/> when the host starts (the options are validated just before).</summary>
internal sealed partial class ThreadPoolSetup(ThreadPoolOptions options, ILogger<ThreadPoolSetup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        LogMinimum(logger, options.Apply(), options.MinWorkerThreads);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Debug, Message = "thread pool: at least {Workers} worker threads (StreamRec:ThreadPool:MinWorkerThreads {Configured})")]
    private static partial void LogMinimum(ILogger logger, int workers, int configured);
}
