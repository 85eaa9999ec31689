namespace Microsoft.ML.Peft.Training.Data;

/// <summary>The labels of a data set: class indices (classification) or target values (regression), one per row.</summary>
internal sealed class TrainingLabels
{
    private TrainingLabels(int[]? classes, float[]? targets, int? classCount)
    {
        Classes = classes;
        Targets = targets;
        ClassCount = classCount;
    }

    public int[]? Classes { get; }

    public float[]? Targets { get; }

    public int? ClassCount { get; }

    public int Count => Classes?.Length ?? Targets!.Length;

    public static TrainingLabels ForClasses(IReadOnlyList<int> classes, int? classCount)
    {
        int[] copy = classes.ToArray();
        for (int i = 0; i < copy.Length; i++)
        {
            if (copy[i] < 0 || (classCount is { } n && copy[i] >= n))
            {
                string range = classCount is { } c ? $"[0, {c})" : "non-negative";
                throw new ArgumentException($"Label {i} is {copy[i]}; class labels must be {range}.", nameof(classes));
            }
        }

        return new TrainingLabels(copy, null, classCount ?? (copy.Length == 0 ? 0 : copy.Max() + 1));
    }

    public static TrainingLabels ForTargets(IReadOnlyList<float> targets)
    {
        float[] copy = targets.ToArray();
        int bad = Array.FindIndex(copy, t => !float.IsFinite(t));
        if (bad >= 0)
        {
            throw new ArgumentException($"Target {bad} is {copy[bad]}; regression targets must be finite.", nameof(targets));
        }

        return new TrainingLabels(null, copy, null);
    }

    public (int[]? Classes, float[]? Targets) Select(IReadOnlyList<int> rows) =>
        (Classes is null ? null : rows.Select(r => Classes[r]).ToArray(), Targets is null ? null : rows.Select(r => Targets[r]).ToArray());
}
