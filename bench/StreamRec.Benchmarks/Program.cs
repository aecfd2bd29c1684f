using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/StreamRec.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
