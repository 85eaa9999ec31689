using Microsoft.ML.Peft.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Training;

public class TrainingDevicesTests
{
    [Fact]
    public void NoGpuIdMeansTheCpu() => Assert.Equal(DeviceType.CPU, TrainingDevices.Resolve(null, fallbackToCpu: false).type);

    [SkippableFact]
    public void AnUnavailableGpuFallsBackOrThrowsAsAsked()
    {
        Skip.If(cuda.is_available() && cuda.device_count() > 7, "this machine has a GPU 7");
        var log = new List<string>();
        Assert.Equal(DeviceType.CPU, TrainingDevices.Resolve(7, fallbackToCpu: true, log.Add).type);
        Assert.Contains("GPU device 7", Assert.Single(log));
        var error = Assert.Throws<InvalidOperationException>(() => TrainingDevices.Resolve(7, fallbackToCpu: false));
        Assert.Contains("FallbackToCpu", error.Message);
    }

    [SkippableFact]
    public void AnAvailableGpuIsUsed()
    {
        Skip.IfNot(cuda.is_available(), "CUDA is not available here");
        Device device = TrainingDevices.Resolve(0, fallbackToCpu: false);
        Assert.Equal(DeviceType.CUDA, device.type);
        Assert.Equal(0, device.index);
    }
}
