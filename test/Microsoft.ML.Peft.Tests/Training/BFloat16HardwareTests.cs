using System.Runtime.InteropServices;
using Microsoft.ML.Peft.Training.Precision;

namespace Microsoft.ML.Peft.Tests.Training;

public class BFloat16HardwareTests
{
    private const string Zen4 = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx2 fma avx512f avx512_bf16 avx512_vnni\nbogomips\t: 4800\n\nprocessor\t: 1\nflags\t\t: fpu\n";
    private const string Zen3 = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx2 fma f16c\n";
    private const string SapphireRapids = "processor\t: 0\nflags\t\t: avx512f amx_bf16 amx_tile amx_int8\n";
    private const string Graviton3 = "processor\t: 0\nFeatures\t: fp asimd sve bf16 i8mm\nCPU implementer\t: 0x41\n";
    private const string Graviton2 = "processor\t: 0\nFeatures\t: fp asimd asimddp\n";

    [Theory]
    [InlineData(Zen4, Architecture.X64, true)]
    [InlineData(Zen3, Architecture.X64, false)]
    [InlineData(SapphireRapids, Architecture.X64, true)]
    [InlineData(Graviton3, Architecture.Arm64, true)]
    [InlineData(Graviton2, Architecture.Arm64, false)]
    public void ReadsTheFirstProcessorsFeatureList(string cpuInfo, Architecture architecture, bool expected) =>
        Assert.Equal(expected, BFloat16Hardware.FromCpuInfo(cpuInfo, architecture));

    [Fact]
    public void UnknownWhenTheListOrTheArchitectureIsUnknown()
    {
        Assert.Null(BFloat16Hardware.FromCpuInfo("processor\t: 0\nmodel name\t: something\n", Architecture.X64));
        Assert.Null(BFloat16Hardware.FromCpuInfo(Graviton3, Architecture.X64)); // an Arm list read as x86 has no "flags"
        Assert.Null(BFloat16Hardware.FromCpuInfo(Zen4, Architecture.RiscV64));
    }

    [Fact]
    public void FeatureNamesMustMatchWholeWords() =>
        Assert.False(BFloat16Hardware.FromCpuInfo("flags\t: avx512_bf16x fooamx_bf16\n", Architecture.X64));

    [Fact]
    public void WarnsOnlyForBfloat16OnACpuKnownToLackTheInstructions()
    {
        Assert.Contains("Float32", BFloat16Hardware.WarningFor(TrainingPrecision.BFloat16, onCpu: true, cpuHasMatrixInstructions: false));
        Assert.Null(BFloat16Hardware.WarningFor(TrainingPrecision.BFloat16, onCpu: true, cpuHasMatrixInstructions: true));
        Assert.Null(BFloat16Hardware.WarningFor(TrainingPrecision.BFloat16, onCpu: true, cpuHasMatrixInstructions: null));
        Assert.Null(BFloat16Hardware.WarningFor(TrainingPrecision.BFloat16, onCpu: false, cpuHasMatrixInstructions: false));
        Assert.Null(BFloat16Hardware.WarningFor(TrainingPrecision.Float32, onCpu: true, cpuHasMatrixInstructions: false));
    }
}
