using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/StreamRec.MicroBenchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
