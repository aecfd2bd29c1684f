using System.Runtime.InteropServices;

namespace StreamRec.Encoding;

/// <summary>
/// Says why ONNX Runtime's CUDA provider could not be loaded. ONNX Runtime reports only "Failed to load shared
/// library"; loading the provider library ourselves makes the dynamic loader name what is missing (for example
/// <c>libcublasLt.so.13: cannot open shared object file</c>), which is what an operator needs to fix it.
/// </summary>
internal static class CudaProviderProbe
{
    private static readonly string[] ProviderFiles = ["libonnxruntime_providers_cuda.so", "onnxruntime_providers_cuda.dll"];

    /// <summary><paramref name="reason"/>, plus the loader's own words when the provider library is present but cannot load.</summary>
    public static string Explain(string reason)
    {
        var provider = FindProviderLibrary();
        if (provider is null)
        {
            return $"{reason}; the CUDA provider library is not in this build (CPU package: build with -p:StreamRecGpu=true)";
        }

        try
        {
            var handle = NativeLibrary.Load(provider);
            NativeLibrary.Free(handle);
            return reason;
        }
        catch (DllNotFoundException ex)
        {
            return $"{reason}; {Path.GetFileName(provider)}: {ex.Message.ReplaceLineEndings(" ")}";
        }
    }

    private static string? FindProviderLibrary()
    {
        var roots = new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.Location) ?? "" };
        foreach (var root in roots.Where(Directory.Exists).Distinct(StringComparer.Ordinal))
        {
            foreach (var name in ProviderFiles)
            {
                var found = Directory.EnumerateFiles(root, name, SearchOption.AllDirectories).FirstOrDefault();
                if (found is not null)
                {
                    return found;
                }
            }
        }

        return null;
    }
}
