namespace Microsoft.ML.Peft.Training.Optimization;

/// <summary>The shape of the learning rate over training, after the linear warmup.</summary>
public enum LearningRateScheduleKind
{
    /// <summary>Linear decay from the peak to 0 at the last step (Hugging Face's <c>get_linear_schedule_with_warmup</c>).</summary>
    Linear,

    /// <summary>Half a cosine from the peak to 0 at the last step (Hugging Face's <c>get_cosine_schedule_with_warmup</c>).</summary>
    Cosine,

    /// <summary>The peak rate throughout after warmup (Hugging Face's <c>get_constant_schedule_with_warmup</c>).</summary>
    Constant,
}
