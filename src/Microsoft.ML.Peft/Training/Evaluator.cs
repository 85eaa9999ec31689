using Microsoft.ML.Peft.Training.Data;
using Microsoft.ML.Peft.Training.Metrics;
using Microsoft.ML.Peft.Training.Tasks;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Training;

/// <summary>One pass over a validation set in eval mode, without gradients, a dispose scope per batch.</summary>
internal static class Evaluator
{
    public static EvaluationResult Evaluate<TBatch>(nn.Module model, ITrainingTask<TBatch> task, ITrainingData<TBatch> data, Device device, TrainingOptions options)
        where TBatch : ITrainingBatch
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            int batchSize = options.EvaluationBatchSize ?? options.BatchSize;
            int[][] plan = EpochPlan.ForEvaluation(data.Count, batchSize, data.HasLengths ? data.GetLength : null);
            var context = new BatchContext(options.Seed, Epoch: 0, Training: false);
            using var batches = new BatchPrefetcher<TBatch>(data, plan, 0, context, options.DataLoaderWorkers, options.PrefetchBatches);
            double lossSum = 0;
            double absoluteErrorSum = 0;
            var predicted = new List<int>();
            var actual = new List<int>();
            using var noGrad = no_grad();
            for (int b = 0; b < plan.Length; b++)
            {
                TBatch batch = batches.Take();
                using var scope = options.UseDisposeScopes ? NewDisposeScope() : null;
                TaskOutput output = task.Run(model, batch, device);
                lossSum += output.Loss.to(ScalarType.Float64).item<double>() * batch.Count;
                if (task.Kind == TaskKind.Classification)
                {
                    predicted.AddRange(output.Predictions.argmax(1).cpu().to(ScalarType.Int32).data<int>().ToArray());
                    actual.AddRange(batch.ClassLabels!);
                }
                else
                {
                    Tensor targets = tensor(batch.Targets!.ToArray(), ScalarType.Float32, device);
                    absoluteErrorSum += (output.Predictions.to(ScalarType.Float32).reshape(batch.Count) - targets).abs().sum().to(ScalarType.Float64).item<double>();
                }
            }

            int rows = data.Count;
            return new EvaluationResult
            {
                Rows = rows,
                Loss = rows == 0 ? 0 : lossSum / rows,
                Accuracy = task.Kind == TaskKind.Classification ? ClassificationMetrics.Accuracy(predicted, actual) : null,
                MacroF1 = task.Kind == TaskKind.Classification ? ClassificationMetrics.MacroF1(predicted, actual) : null,
                MeanAbsoluteError = task.Kind == TaskKind.Regression ? (rows == 0 ? 0 : absoluteErrorSum / rows) : null,
            };
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
