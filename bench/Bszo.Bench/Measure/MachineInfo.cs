using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using Bszo.Ort.Perturbation;
using Microsoft.ML.OnnxRuntime;

namespace Bszo.Bench.Measure;

/// <summary>What the numbers were measured on: written into every result file.</summary>
public sealed record MachineInfo
{
    public required string Cpu { get; init; }

    public required int Cores { get; init; }

    public required long MemoryBytes { get; init; }

    public required string Os { get; init; }

    public required string Dotnet { get; init; }

    public required string OnnxRuntime { get; init; }

    public required bool Avx2 { get; init; }

    /// <summary>Whether 512-bit vectors run in hardware (the sweep kernels then use their AVX-512 path).</summary>
    public required bool Avx512 { get; init; }

    /// <summary>"Release", or "Debug" when the JIT optimiser is off for Bszo's kernels (timings are then meaningless).</summary>
    public required string Build { get; init; }

    /// <summary>PyTorch version and BLAS library, when a PyTorch reference ran.</summary>
    public string? Torch { get; init; }

    public string? TorchBlas { get; init; }

    /// <summary>UTC time of the description, ISO 8601.</summary>
    public required string Date { get; init; }

    /// <summary>Describes this machine and build now.</summary>
    public static MachineInfo Describe() => new()
    {
        Cpu = CpuModel(),
        Cores = Environment.ProcessorCount,
        MemoryBytes = MemTotal(),
        Os = RuntimeInformation.OSDescription,
        Dotnet = RuntimeInformation.FrameworkDescription,
        OnnxRuntime = OrtEnv.Instance().GetVersionString(),
        Avx2 = System.Runtime.Intrinsics.X86.Avx2.IsSupported,
        Avx512 = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated,
        Build = IsOptimized(typeof(SweepKernels).Assembly) && IsOptimized(typeof(MachineInfo).Assembly) ? "Release" : "Debug",
        Date = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
    };

    /// <summary>One line for report headers.</summary>
    /// <summary>The line every result file opens with: when, by which command, on what, under which load (<paramref name="loads"/>, e.g. "before: …, after: …").</summary>
    public string Provenance(string commandLine, string loads) =>
        string.Create(CultureInfo.InvariantCulture, $"Measured {Date} with `{commandLine}` on {Summary()}. Load average (1/5/15 min) {loads}.");

    public string Summary() =>
        string.Create(CultureInfo.InvariantCulture, $"{Cpu}, {Cores} cores, {MemoryBytes / (1024.0 * 1024 * 1024):F1} GiB; {Dotnet}; ONNX Runtime {OnnxRuntime}; AVX2 {(Avx2 ? "yes" : "no")}, AVX-512 {(Avx512 ? "yes" : "no")}; {Build} build")
        + (Torch is null ? "" : $"; PyTorch {Torch} ({TorchBlas})");

    /// <summary>Whether the JIT optimises <paramref name="assembly"/> (false for Debug builds).</summary>
    public static bool IsOptimized(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        return assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled != true;
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null) return line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
        }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    private static long MemTotal()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            if (line is not null)
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(fields[1], CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (IOException)
        {
        }
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }
}
