using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Benchmarks;

/// <summary>
/// HOOK for the bottleneck (Houlsby) adapters, which are written in parallel on another branch
/// (<c>src/Microsoft.ML.Peft/Tuners/Adapters</c>). Until they are merged, <see cref="TryApply"/> reports them as pending
/// and the benchmark writes the "houlsby" rows and transfer entries with <c>status: "pending"</c> and no figures.
/// </summary>
/// <remarks>
/// To plug them in, replace the body of <see cref="TryApply"/> with the adapter library's call, for example
/// <c>PeftModel.Create(model, new BottleneckAdapterConfig { TaskType = ..., ReductionFactor = 16 })</c> (Houlsby's
/// placement: after the attention output and after the feed-forward output of every layer), return the adapted model,
/// and keep the head trainable. Everything else (timing, FLOP counting through forward hooks on Linear layers, peak
/// RSS, transfer metrics, adapter bytes) already handles any method that trains a subset of parameters.
/// </remarks>
internal static class HoulsbyAdapters
{
    /// <summary>Why the method cannot run yet, or null once it can.</summary>
    public const string PendingReason = "pending: the bottleneck (Houlsby) adapters are not in this branch yet";

    /// <summary>Adds Houlsby adapters to <paramref name="model"/> and freezes the rest; false (with the reason) while they are pending.</summary>
    public static bool TryApply(nn.Module model, out IDisposable? owner, out string? reason)
    {
        _ = model;
        owner = null;
        reason = PendingReason;
        return false;
    }
}
