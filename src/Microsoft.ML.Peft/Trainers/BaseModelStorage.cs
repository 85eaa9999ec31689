namespace Microsoft.ML.Peft.Trainers;

/// <summary>How <c>mlContext.Model.Save</c> stores the base model a PEFT transformer was trained on.</summary>
public enum BaseModelStorage
{
    /// <summary>
    /// The zip holds every weight of the network (merged or with the adapter layers), so it loads anywhere without any
    /// other file. The default.
    /// </summary>
    Embedded,

    /// <summary>
    /// The zip holds only what training changed (the adapter, the task head, normalization statistics) and a reference
    /// to the base model: its full local path, or its Hub id pinned to the commit it was downloaded at, with a SHA-256
    /// of its weights. <c>mlContext.Model.Load</c> resolves the base again (a Hub id from the Hugging Face cache, or
    /// downloaded through a client configured from the environment), refuses it with a
    /// <see cref="BaseModelMismatchException"/> when its weights have changed (or a <see cref="FileNotFoundException"/> when a
    /// local base is gone; <c>Model.Load</c> hands both on wrapped in a <c>TargetInvocationException</c>, as it calls
    /// loaders by reflection), and rebuilds the same network (merging
    /// the adapter again when it was merged). Many adapters on one base then cost a few megabytes each. Needs a PEFT
    /// method (full fine-tuning changes every weight) and a <c>BaseModel</c> path or Hub id (not a <c>BaseModelInstance</c>).
    /// </summary>
    Reference,
}
