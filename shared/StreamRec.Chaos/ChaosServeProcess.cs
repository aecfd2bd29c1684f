using System.Diagnostics;
using System.Reflection;

namespace StreamRec.Chaos;

/// <summary>How to start <c>streamrec</c>: the executable and the arguments before the verb (the dll when run through <c>dotnet</c>).</summary>
public sealed record ServeLaunch(string FileName, IReadOnlyList<string> PrefixArguments)
{
    /// <summary>The streamrec that is running now (apphost or <c>dotnet streamrec.dll</c>).</summary>
    /// <param name="cli">The streamrec assembly: this library is not it, so the verb passes its own.</param>
    public static ServeLaunch Current(Assembly cli)
    {
        ArgumentNullException.ThrowIfNull(cli);
        var dll = cli.Location;
        var process = Environment.ProcessPath ?? "dotnet";
        return Path.GetFileNameWithoutExtension(process).Equals("dotnet", StringComparison.OrdinalIgnoreCase)
            ? new ServeLaunch(process, [dll])
            : new ServeLaunch(process, []);
    }

    /// <summary><c>dotnet path/to/streamrec.dll</c>.</summary>
    public static ServeLaunch FromDll(string dll) => new("dotnet", [dll]);
}

/// <summary>
/// A <c>streamrec serve --roles all</c> child process configured through <c>StreamRec__...</c> environment variables,
/// its output appended to a log file. Kill is SIGKILL (nothing runs after it); Terminate is SIGTERM (graceful stop).
/// </summary>
public sealed class ServeProcess : IDisposable
{
    /// <summary>The line the host logs once the vector store is usable, right before its consumers start.</summary>
    public const string ReadyMarker = "Vector store ready";

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _logGate = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _logClosed;

    private ServeProcess(Process process, string logPath)
    {
        _process = process;
        LogPath = logPath;
        _log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
    }

    /// <summary>Completes when the child logged <see cref="ReadyMarker"/> (its consumers are starting).</summary>
    public Task Ready => _ready.Task;

    public string LogPath { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts the child. <paramref name="settings"/> use configuration keys (<c>StreamRec:Kafka:BootstrapServers</c>).</summary>
    public static ServeProcess Start(ServeLaunch launch, IReadOnlyDictionary<string, string> settings, string logPath, string roles = "all")
    {
        var info = new ProcessStartInfo(launch.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in launch.PrefixArguments)
        {
            info.ArgumentList.Add(a);
        }

        info.ArgumentList.Add("serve");
        info.ArgumentList.Add("--roles");
        info.ArgumentList.Add(roles);
        info.Environment["DOTNET_gcServer"] = "0";
        info.Environment["DOTNET_TieredPGO"] = "0";
        // The readiness line is an Information log of the host; everything else may stay quieter.
        info.Environment["Logging__LogLevel__StreamRec.Hosting"] = "Information";
        foreach (var (key, value) in settings)
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {launch.FileName}");
        var child = new ServeProcess(process, logPath);
        var pid = process.Id;
        process.OutputDataReceived += (_, e) => child.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnOutput(e.Data);
        process.Exited += (_, _) => child.AppendLog($"--- pid {pid} exited");
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        child.AppendLog($"--- pid {pid} started");
        return child;
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            return;
        }

        AppendLog(line);
        if (line.Contains(ReadyMarker, StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
    }

    // The output and exit events arrive on thread-pool threads, possibly after Dispose closed the log.
    private void AppendLog(string line)
    {
        lock (_logGate)
        {
            if (!_logClosed)
            {
                _log.WriteLine(line);
            }
        }
    }

    /// <summary>Waits until the child is ready; false when it exited first or the timeout passed.</summary>
    public async Task<bool> WaitReadyAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var exited = _process.WaitForExitAsync(cancellationToken);
        var first = await Task.WhenAny(Ready, exited, Task.Delay(timeout, TimeProvider.System, cancellationToken));
        return first == Ready;
    }

    /// <summary>SIGKILL: as abrupt as a node failure.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>SIGTERM (the host drains, commits and leaves the group), then waits up to <paramref name="timeout"/>.
    /// Returns true when it exited in time; on timeout it is killed.</summary>
    public async Task<bool> TerminateAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (_process.HasExited)
        {
            return true;
        }

        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
        {
            if (kill is not null)
            {
                await kill.WaitForExitAsync(cancellationToken);
            }
        }

        if (await WaitForExitAsync(timeout, cancellationToken))
        {
            return true;
        }

        Kill();
        return false;
    }

    /// <summary>Waits for the process to exit on its own; false on timeout.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public void Dispose()
    {
        Kill();
        _process.WaitForExit(10_000);
        _process.Dispose();
        lock (_logGate)
        {
            _logClosed = true;
            _log.Dispose();
        }
    }
}
