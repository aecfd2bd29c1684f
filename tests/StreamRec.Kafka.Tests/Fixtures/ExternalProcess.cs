using System.Diagnostics;

namespace StreamRec.Kafka.Tests.Fixtures;

/// <summary>Runs kcat and the streamrec CLI as separate processes: real clients over real TCP.</summary>
public static class ExternalProcess
{
    /// <summary>kcat's path, or null when it is not installed.</summary>
    public static string? Kcat { get; } = new[] { "/usr/bin/kcat", "/usr/local/bin/kcat", "/usr/bin/kafkacat" }.FirstOrDefault(File.Exists);

    public static void RequireKcat()
    {
        if (Kcat is null)
        {
            Assert.Skip("kcat is not installed here (apt-get install kcat); CI installs it");
        }
    }

    /// <summary>The CLI's entry assembly, copied next to the tests by the project reference.</summary>
    public static string StreamRecDll => Path.Combine(AppContext.BaseDirectory, "streamrec.dll");

    public static ProcessStartInfo StreamRec(string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(StreamRecDll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // The produce verb must use --bootstrap, not whatever the developer's shell exports.
        info.Environment.Remove("StreamRec__Kafka__BootstrapServers");
        return info;
    }

    /// <summary>Runs to completion; returns exit code, stdout bytes and stderr text.</summary>
    public static async Task<(int ExitCode, byte[] Stdout, string Stderr)> RunAsync(ProcessStartInfo info, byte[]? stdin, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {info.FileName}");
        var stdout = new MemoryStream();
        var copyOut = process.StandardOutput.BaseStream.CopyToAsync(stdout, cancellationToken);
        var readErr = process.StandardError.ReadToEndAsync(cancellationToken);
        if (stdin is not null)
        {
            await process.StandardInput.BaseStream.WriteAsync(stdin, cancellationToken);
        }

        process.StandardInput.Close();
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutCts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(timeoutCts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{info.FileName} {string.Join(' ', info.ArgumentList)} did not finish within {timeout}");
        }

        await copyOut;
        return (process.ExitCode, stdout.ToArray(), await readErr);
    }

    public static ProcessStartInfo KcatInfo(params string[] args)
    {
        var info = new ProcessStartInfo(Kcat!)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }
}
