using System.Reflection;
using BenchmarkDotNet.Attributes;
using PluginIpc.Benchmarks;

namespace PluginIpc.Tests.Benchmarks;

/// <summary>Runs every benchmark method once, directly (setup, method, cleanup), so the benchmarks never rot.</summary>
public sealed class BenchmarkSmokeTests
{
    private static IEnumerable<TestCaseData> InMemoryCases() =>
        from type in new[] { typeof(DispatchBenchmarks), typeof(InMemoryFloorBenchmarks), typeof(FramingBenchmarks), typeof(TypedCallBenchmarks) }
        from parameters in ParameterCombinations(type)
        from method in BenchmarkMethods(type)
        select new TestCaseData(type, method.Name, parameters)
            .SetArgDisplayNames($"{type.Name}.{method.Name}({string.Join(", ", parameters.Select(p => $"{p.Key}={p.Value}"))})");

    private static IEnumerable<TestCaseData> ProcessCases() =>
        from type in new[] { typeof(ProcessBenchmarks), typeof(FloorBenchmarks) }
        select new TestCaseData(type).SetArgDisplayNames(type.Name);

    [TestCaseSource(nameof(InMemoryCases))]
    [CancelAfter(10_000)]
    public async Task Benchmark_RunOnce_Completes(Type type, string methodName, Dictionary<string, object> parameters, CancellationToken cancellationToken)
    {
        object instance = Activator.CreateInstance(type)!;
        foreach ((string name, object value) in parameters)
        {
            type.GetProperty(name)!.SetValue(instance, value);
        }

        await RunOnceAsync(instance, [type.GetMethod(methodName)!], cancellationToken);
    }

    [Category("Process")]
    [TestCaseSource(nameof(ProcessCases))]
    [CancelAfter(30_000)]
    public async Task ProcessBenchmark_TextOverInheritedPipes_EveryMethodCompletes(Type type, CancellationToken cancellationToken)
    {
        // One case per class: text framing (where the class has a framer) over inherited pipes.
        object instance = Activator.CreateInstance(type)!;
        type.GetProperty("Framer")?.SetValue(instance, "text");
        type.GetProperty("Transport")!.SetValue(instance, PluginTransport.InheritedPipes);
        // Methods that share a global setup share one child process, as they would within one BenchmarkDotNet case.
        foreach (IGrouping<MethodInfo?, MethodInfo> methods in BenchmarkMethods(type).GroupBy(m => FindTargeted<GlobalSetupAttribute>(type, m.Name)))
        {
            await RunOnceAsync(instance, [.. methods], cancellationToken);
        }
    }

    private static IEnumerable<MethodInfo> BenchmarkMethods(Type type) =>
        type.GetMethods(BindingFlags.Public | BindingFlags.Instance).Where(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null);

    private static IEnumerable<Dictionary<string, object>> ParameterCombinations(Type type)
    {
        IEnumerable<Dictionary<string, object>> combinations = [[]];
        foreach (PropertyInfo property in type.GetProperties())
        {
            if (property.GetCustomAttribute<ParamsAttribute>() is { } values)
            {
                combinations = [.. from combination in combinations
                                   from value in values.Values
                                   select new Dictionary<string, object>(combination) { [property.Name] = value! }];
            }
        }

        return combinations;
    }

    /// <summary>Runs the global setup that applies to <paramref name="methods"/>, each method once, and the global cleanup, as BenchmarkDotNet would.</summary>
    private static async Task RunOnceAsync(object instance, MethodInfo[] methods, CancellationToken cancellationToken)
    {
        MethodInfo? setup = FindTargeted<GlobalSetupAttribute>(instance.GetType(), methods[0].Name);
        MethodInfo? cleanup = FindTargeted<GlobalCleanupAttribute>(instance.GetType(), methods[0].Name);
        if (setup is not null)
        {
            await AwaitResultAsync(setup.Invoke(instance, null)).WaitAsync(cancellationToken);
        }

        try
        {
            foreach (MethodInfo method in methods)
            {
                await AwaitResultAsync(method.Invoke(instance, null)).WaitAsync(cancellationToken);
            }
        }
        finally
        {
            if (cleanup is not null)
            {
                await AwaitResultAsync(cleanup.Invoke(instance, null)).WaitAsync(cancellationToken);
            }
        }
    }

    /// <summary>Finds the setup or cleanup that names <paramref name="methodName"/> as a target, else the one without targets.</summary>
    private static MethodInfo? FindTargeted<TAttribute>(Type type, string methodName)
        where TAttribute : TargetedAttribute
    {
        (MethodInfo Method, TAttribute Attribute)[] candidates = [.. type.GetMethods()
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<TAttribute>()!))
            .Where(c => c.Attribute is not null)];
        return candidates.FirstOrDefault(c => c.Attribute.Targets?.Contains(methodName) == true).Method
            ?? candidates.FirstOrDefault(c => c.Attribute.Targets is null or { Length: 0 }).Method;
    }

    private static Task AwaitResultAsync(object? result) => result switch
    {
        null => Task.CompletedTask,
        Task task => task,
        ValueTask valueTask => valueTask.AsTask(),
        _ when result.GetType() is { IsGenericType: true } type && type.GetGenericTypeDefinition() == typeof(ValueTask<>) =>
            (Task)type.GetMethod(nameof(ValueTask<int>.AsTask))!.Invoke(result, null)!,
        _ => Task.CompletedTask, // A synchronous benchmark's result.
    };
}
