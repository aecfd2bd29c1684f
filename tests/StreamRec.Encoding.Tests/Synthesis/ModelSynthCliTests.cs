using System.Diagnostics;
using System.Reflection;
using StreamRec.Encoding.Synthesis;

namespace StreamRec.Encoding.Tests.Synthesis;

/// <summary>
/// Runs the real <c>streamrec</c> CLI in child processes: the synthesized model must not depend on the process. The
/// CLI is found where a solution build puts it (same configuration); these tests do not build it themselves, so that
/// this project does not compile every service the CLI hosts.
/// </summary>
[Collection(TinyModelCollection.Name)]
public sealed class ModelSynthCliTests(TinyModelFixture fixture)
{
    internal static string? FindCli()
    {
        var configuration = typeof(ModelSynthCliTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StreamRec.sln")))
            {
                var dll = Path.Combine(dir.FullName, "services", "StreamRec.Cli", "bin", configuration, "net10.0", "streamrec.dll");
                return File.Exists(dll) ? dll : null;
            }
        }

        return null;
    }

    private static bool SameEncodingAssembly(string cli)
    {
        var path = Path.Combine(Path.GetDirectoryName(cli)!, "StreamRec.Encoding.dll");
        using var stream = File.OpenRead(path);
        using var pe = new System.Reflection.PortableExecutable.PEReader(stream);
        var reader = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
        var mvid = reader.GetGuid(reader.GetModuleDefinition().Mvid);
        return mvid == typeof(ModelSynthesizer).Assembly.ManifestModule.ModuleVersionId;
    }

    internal static async Task<(int ExitCode, string Output)> RunCliAsync(string cli, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(cli);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task ModelSynth_TwoProcesses_WriteTheSameBytesAsInProcessSynthesis()
    {
        var cli = FindCli();
        if (cli is null)
        {
            Assert.Skip("streamrec.dll not built yet: build services/StreamRec.Cli (or the solution) in the same configuration first.");
        }

        var outputs = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var dir = Path.Combine(fixture.Root, $"cli-{i}");
            var (code, output) = await RunCliAsync(cli, "model", "synth", "--out", dir, "--layers", "2", "--hidden", "32", "--heads", "2", "--intermediate", "64", "--seed", "11");
            Assert.True(code == 0, output);
            outputs.Add(Path.Combine(dir, "model.onnx"));
        }

        Assert.Equal(File.ReadAllBytes(outputs[0]), File.ReadAllBytes(outputs[1]));

        // The in-process model can only match when the CLI was built from the same synthesizer (deterministic builds
        // give the same module version id for the same source); a stale local CLI build proves nothing either way.
        if (SameEncodingAssembly(cli))
        {
            var inProcess = ModelSynthesizer.Write(Path.Combine(fixture.Root, "cli-inproc", "model.onnx"), TinyModelFixture.Tiny, seed: 11, modelName: "synthetic-bert");
            Assert.Equal(File.ReadAllBytes(inProcess.Path), File.ReadAllBytes(outputs[0]));
        }
    }

    [Fact]
    public async Task ModelFetch_FromHubOffline_ExitsNonZeroWithClearMessage()
    {
        var cli = FindCli();
        if (cli is null)
        {
            Assert.Skip("streamrec.dll not built yet: build services/StreamRec.Cli (or the solution) in the same configuration first.");
        }

        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var (code, output) = await RunCliAsync(cli, "model", "fetch", "all-MiniLM-L6-v2", "--from", "hub", "--dir", Path.Combine(fixture.Root, "fetch-cli"),
            "--hub", $"http://127.0.0.1:{port}", "--connect-timeout", "3");

        Assert.Equal(1, code);
        Assert.Contains("Could not download", output, StringComparison.Ordinal);
    }
}
