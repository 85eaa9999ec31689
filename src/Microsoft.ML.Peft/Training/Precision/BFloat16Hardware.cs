using System.Runtime.InteropServices;

namespace Microsoft.ML.Peft.Training.Precision;

/// <summary>
/// Whether this machine's CPU multiplies bfloat16 matrices in hardware. Where it does not, libtorch emulates bfloat16
/// matmuls and <see cref="TrainingPrecision.BFloat16"/> is far slower than float32 (measured on an AVX2-only AMD EPYC:
/// 0.3 GFLOP/s against 93 GFLOP/s for float32 at 2048³), so the training engine warns before it starts.
/// </summary>
internal static class BFloat16Hardware
{
    private const string CpuInfoPath = "/proc/cpuinfo";

    // x86: AVX-512 BF16 (VDPBF16PS) or AMX-BF16 tiles; Arm: FEAT_BF16 (BFMMLA/BFDOT).
    private static readonly string[] X86Flags = ["avx512_bf16", "amx_bf16"];
    private static readonly string[] ArmFeatures = ["bf16"];

    private static readonly Lazy<bool?> CpuHasIt = new(() => File.Exists(CpuInfoPath) ? FromCpuInfo(File.ReadAllText(CpuInfoPath), RuntimeInformation.ProcessArchitecture) : null);

    /// <summary>True or false as the CPU's feature list says; null where it cannot be read (not Linux, or an unknown architecture).</summary>
    public static bool? CpuHasMatrixInstructions => CpuHasIt.Value;

    /// <summary>
    /// Reads <paramref name="cpuInfo"/> (the text of /proc/cpuinfo): whether the first processor's feature list (x86
    /// "flags", Arm "Features") names a bfloat16 matrix instruction set; null when the list or the architecture is unknown.
    /// </summary>
    public static bool? FromCpuInfo(string cpuInfo, Architecture architecture)
    {
        (string field, string[] wanted) = architecture switch
        {
            Architecture.X64 or Architecture.X86 => ("flags", X86Flags),
            Architecture.Arm64 => ("Features", ArmFeatures),
            _ => (string.Empty, Array.Empty<string>()),
        };
        if (wanted.Length == 0)
        {
            return null;
        }

        foreach (string line in cpuInfo.Split('\n'))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim() == field)
            {
                string[] features = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                return wanted.Any(features.Contains);
            }
        }

        return null;
    }

    /// <summary>
    /// The warning to give before training in <see cref="TrainingPrecision.BFloat16"/> on the CPU when the CPU is known
    /// to lack bfloat16 matrix instructions; null when there is nothing to warn about.
    /// </summary>
    public static string? WarningFor(TrainingPrecision precision, bool onCpu, bool? cpuHasMatrixInstructions)
    {
        if (precision != TrainingPrecision.BFloat16 || !onCpu || cpuHasMatrixInstructions != false)
        {
            return null;
        }

        return "Precision is BFloat16, but this CPU has no bfloat16 matrix instructions (its feature list names none of " +
            $"{string.Join(", ", X86Flags.Concat(ArmFeatures))}): libtorch emulates bfloat16 matmuls here, which is far slower " +
            "than float32 (50–300× on an AVX2-only CPU, depending on the matrix size). Use Precision = Float32 on this machine.";
    }
}
