using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Bszo.Ort.Perturbation;

/// <summary>Which implementation computes the noise: all of them compute the same bits.</summary>
public enum KernelPath
{
    /// <summary>The scalar definition, one element at a time (slow; for tests and audits).</summary>
    Reference,

    /// <summary>256-bit registers (<see cref="Lanes256"/>); needs AVX2.</summary>
    Avx2,

    /// <summary>512-bit registers (<see cref="Lanes512"/>); in hardware with AVX-512, emulated by .NET elsewhere.</summary>
    Avx512,
}

/// <summary>Choosing a <see cref="KernelPath"/> for this machine.</summary>
public static class KernelPaths
{
    /// <summary>The fastest path this machine runs in hardware.</summary>
    public static KernelPath Fastest { get; } =
        Vector512.IsHardwareAccelerated ? KernelPath.Avx512 : Avx2.IsSupported ? KernelPath.Avx2 : KernelPath.Reference;

    /// <summary>Whether <paramref name="path"/> can run here (the AVX-512 path always can, emulated where the CPU lacks it).</summary>
    public static bool CanRun(KernelPath path) => path != KernelPath.Avx2 || Avx2.IsSupported;

    /// <summary>Whether <paramref name="path"/> runs in hardware here, rather than emulated.</summary>
    public static bool IsHardwareAccelerated(KernelPath path) => path switch
    {
        KernelPath.Avx2 => Avx2.IsSupported,
        KernelPath.Avx512 => Vector512.IsHardwareAccelerated,
        _ => true,
    };
}
