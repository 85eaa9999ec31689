using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Training;

/// <summary>Chooses the device to train on from ML.NET-style settings (a GPU id and a fallback flag).</summary>
public static class TrainingDevices
{
    /// <summary>
    /// The CPU when <paramref name="gpuDeviceId"/> is null; CUDA device <paramref name="gpuDeviceId"/> when CUDA is
    /// available and has that device; otherwise the CPU if <paramref name="fallbackToCpu"/> (saying why through
    /// <paramref name="log"/>), else an exception.
    /// </summary>
    /// <exception cref="InvalidOperationException">The GPU is unavailable and fallback is off.</exception>
    public static Device Resolve(int? gpuDeviceId, bool fallbackToCpu, Action<string>? log = null)
    {
        if (gpuDeviceId is not { } id)
        {
            return CPU;
        }

        string? problem = !cuda.is_available()
            ? "CUDA is not available (no GPU, no driver, or a CPU-only libtorch package)"
            : id >= cuda.device_count()
                ? $"there are only {cuda.device_count()} CUDA devices"
                : null;
        if (problem is null)
        {
            return new Device(DeviceType.CUDA, id);
        }

        if (!fallbackToCpu)
        {
            throw new InvalidOperationException($"GPU device {id} was requested but {problem}; set FallbackToCpu to train on the CPU instead.");
        }

        log?.Invoke($"GPU device {id} was requested but {problem}; training on the CPU.");
        return CPU;
    }
}
