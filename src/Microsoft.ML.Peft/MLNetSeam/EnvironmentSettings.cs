using Microsoft.ML.Runtime;

namespace Microsoft.ML.Peft.MLNetSeam;

/// <summary>
/// The settings of an <see cref="MLContext"/> that trainers honour (its seed, <c>GpuDeviceId</c>, <c>FallbackToCpu</c>)
/// and its log, read through ML.NET's internal environment interface.
/// </summary>
internal static class EnvironmentSettings
{
    /// <summary>The seed the context was created with (<c>new MLContext(seed)</c>), or null.</summary>
    public static int? Seed(IHostEnvironment environment) => (environment as IHostEnvironmentInternal)?.Seed;

    /// <summary>The context's <c>GpuDeviceId</c>, or null (CPU).</summary>
    public static int? GpuDeviceId(IHostEnvironment environment) => (environment as IHostEnvironmentInternal)?.GpuDeviceId;

    /// <summary>The context's <c>FallbackToCpu</c>; true when the environment does not say.</summary>
    public static bool FallbackToCpu(IHostEnvironment environment) => (environment as IHostEnvironmentInternal)?.FallbackToCpu ?? true;

    /// <summary>Writes informational messages to the context's log (<c>mlContext.Log</c>) under <paramref name="channelName"/>.</summary>
    public static Action<string> Logger(IHostEnvironment environment, string channelName) => message =>
    {
        using IChannel channel = environment.Start(channelName);
        channel.Info(MessageSensitivity.None, message);
    };
}
