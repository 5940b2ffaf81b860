using BenchmarkDotNet.Running;

// Pinned to one CPU, the runtime waits ten times longer before it recompiles hot methods with full optimization
// (TC_DelaySingleProcMultiplier), and every new method it meets restarts that wait: the benchmark process and the plugin
// it starts then run partly unoptimized code for 10-15 s, longer than the warmup. Waiting as long as on several CPUs lets
// the warmup reach the code a long-running process runs; the code itself is the same. Benchmark processes and their
// children (the plugin, the floor's echo) inherit this.
Environment.SetEnvironmentVariable("DOTNET_TC_DelaySingleProcMultiplier", "1");
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
