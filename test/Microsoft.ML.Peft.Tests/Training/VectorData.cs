using Microsoft.ML.Peft.Training.Data;
using Microsoft.ML.Peft.Training.Tasks;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Training;

/// <summary>One-feature regression rows: a minimal custom <see cref="ITrainingData{TBatch}"/> for loop tests.</summary>
internal sealed class VectorData(float[] x, float[] y) : ITrainingData<VectorData.Batch>
{
    public int Count => x.Length;

    public bool HasLengths => false;

    public int GetLength(int index) => 1;

    public Batch CreateBatch(IReadOnlyList<int> indices, BatchContext context) =>
        new(indices.ToArray(), indices.Select(i => x[i]).ToArray(), indices.Select(i => y[i]).ToArray());

    /// <summary>The model these tests train: y = w·x without a bias, starting at w = 0.</summary>
    public static TorchSharp.Modules.Linear ZeroLine()
    {
        TorchSharp.Modules.Linear model = nn.Linear(1, 1, hasBias: false);
        using (no_grad())
        {
            model.weight!.zero_();
        }

        return model;
    }

    /// <summary>The task for a Linear(1, 1) model: predictions are model(x).</summary>
    public static RegressionTask<Batch> Task() =>
        new((model, batch, device) => ((nn.Module<Tensor, Tensor>)model).call(tensor(batch.X, [batch.Count, 1L], device: device)));

    public sealed record Batch(IReadOnlyList<int> RowIndices, float[] X, IReadOnlyList<float>? Targets) : ITrainingBatch
    {
        public int Count => RowIndices.Count;

        public IReadOnlyList<int>? ClassLabels => null;
    }
}
