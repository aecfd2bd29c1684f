using System.Diagnostics;

namespace StreamRec.Cli.Commands;

/// <summary>How to start <c>streamrec</c>: the executable and the arguments before the verb (the dll when run through <c>dotnet</c>).</summary>
public sealed record ServeLaunch(string FileName, IReadOnlyList<string> PrefixArguments)
{
    /// <summary>The streamrec that is running now (apphost or <c>dotnet streamrec.dll</c>).</summary>
    public static ServeLaunch Current()
    {
        var dll = typeof(ServeLaunch).Assembly.Location;
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
    private readonly Process _process;

    private ServeProcess(Process process, string logPath)
    {
        _process = process;
        LogPath = logPath;
    }

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
        foreach (var (key, value) in settings)
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {launch.FileName}");
        var log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        var gate = new Lock();
        void Write(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (gate)
            {
                log.WriteLine(line);
            }
        }

        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.Exited += (_, _) =>
        {
            lock (gate)
            {
                log.WriteLine($"--- pid {process.Id} exited");
            }
        };
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Write($"--- pid {process.Id} started");
        return new ServeProcess(process, logPath);
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
    }
}
