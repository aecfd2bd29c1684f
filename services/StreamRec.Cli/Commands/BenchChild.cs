using System.Diagnostics;
using System.Text.Json.Nodes;

namespace StreamRec.Cli.Commands;

/// <summary>Runs another verb of this executable as a child process (its own JIT, heap and threads, like a user running it)
/// and reads the JSON it wrote.</summary>
internal static class BenchChild
{
    public static async Task<(JsonNode? Json, string? Error)> RunJsonAsync(string[] verbArgs, string jsonFile, IProgress<string> progress, CancellationToken cancellationToken)
    {
        File.Delete(jsonFile);
        var start = SelfStartInfo();
        foreach (var arg in verbArgs)
        {
            start.ArgumentList.Add(arg);
        }

        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        using var process = new Process { StartInfo = start };
        var errors = new List<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                progress.Report("  | " + line);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (errors)
                {
                    errors.Add(line);
                }

                progress.Report("  ! " + line);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        if (process.ExitCode != 0 || !File.Exists(jsonFile))
        {
            string detail;
            lock (errors)
            {
                detail = string.Join(" ", errors.Take(3));
            }

            return (null, $"`streamrec {string.Join(' ', verbArgs.TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)))}` exited with {process.ExitCode}: {detail}".Trim());
        }

        return (JsonNode.Parse(await File.ReadAllTextAsync(jsonFile, cancellationToken)), null);
    }

    /// <summary>This executable: the apphost when run as <c>streamrec</c>, else <c>dotnet streamrec.dll</c>.</summary>
    private static ProcessStartInfo SelfStartInfo()
    {
        var path = Environment.ProcessPath ?? throw new InvalidOperationException("the process path is unknown");
        if (string.Equals(Path.GetFileNameWithoutExtension(path), "dotnet", StringComparison.OrdinalIgnoreCase))
        {
            var info = new ProcessStartInfo(path);
            info.ArgumentList.Add(typeof(BenchChild).Assembly.Location);
            return info;
        }

        return new ProcessStartInfo(path);
    }
}
