using Microsoft.ML.Peft.Training;
using Microsoft.ML.Peft.Training.Data;
using Microsoft.ML.Peft.Training.Precision;
using Microsoft.ML.Peft.Training.Tasks;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// The part of <c>Fit</c> every trainer shares: put the adapter on the network (or unfreeze it all for full
/// fine-tuning), train with the engine, keep a copy of the trained adapter, and merge it in unless asked not to. To save
/// the base model by reference, it also snapshots the base before the adapter goes on and captures what training changed.
/// </summary>
internal static class PeftFitting
{
    /// <summary>
    /// Trains <paramref name="network"/> (which this call then owns: it is disposed on failure). A non-null
    /// <paramref name="baseReference"/> (where the base model came from) makes the model save with
    /// <see cref="BaseModelStorage.Reference"/>; null embeds the weights.
    /// </summary>
    public static (InferenceModel Model, TrainingResult Result) Train<TBatch>(
        nn.Module network,
        PeftConfig? peftConfig,
        bool mergeAdapter,
        TrainingOptions training,
        ITrainingTask<TBatch> task,
        ITrainingData<TBatch> trainData,
        ITrainingData<TBatch>? validationData,
        BaseModelReference? baseReference = null)
        where TBatch : ITrainingBatch
    {
        ModelArchitecture architecture = ModelArchitecture.Of(network);
        PeftModel? peft = null;
        using BaseModelSnapshot? snapshot = baseReference is null ? null : BaseModelSnapshot.Take(network, architecture.HeadPrefix);
        try
        {
            if (peftConfig is null)
            {
                foreach (var parameter in network.parameters())
                {
                    parameter.requires_grad = true;
                }
            }
            else
            {
                peft = PeftModel.Create(network, peftConfig);
            }

            // The engine trains the network itself: with an adapter injected, its forward pass runs through it.
            TrainingResult result = new TrainingLoop(training).Fit(network, task, trainData, validationData);
            return (Finish(network, peft, architecture, mergeAdapter, baseReference, snapshot, training.Precision == TrainingPrecision.BFloat16), result);
        }
        catch
        {
            DisposeOwned(peft, network);
            throw;
        }
    }

    /// <summary>Disposes a network after a failure: through its <see cref="PeftModel"/> when the adapter is on (which owns it), else directly.</summary>
    internal static void DisposeOwned(PeftModel? peft, nn.Module network)
    {
        if (peft is not null)
        {
            peft.Dispose();
        }
        else
        {
            network.Dispose();
        }
    }

    private static InferenceModel Finish(
        nn.Module network, PeftModel? peft, ModelArchitecture architecture, bool mergeAdapter, BaseModelReference? baseReference, BaseModelSnapshot? snapshot, bool bfloat16)
    {
        if (peft is null)
        {
            return new InferenceModel(network, network, architecture, unmergedAdapterConfig: null, adapter: null);
        }

        TrainedAdapter adapter = TrainedAdapter.Capture(peft);
        ReferencedBase? referencedBase = baseReference is null ? null : ReferencedBase.Capture(baseReference, snapshot!, peft, adapter, bfloat16);
        // Adapters that cannot merge (bottleneck adapters are non-linear) stay as layers, as with MergeAdapter = false.
        if (!mergeAdapter || !peft.BaseModel.CanMerge())
        {
            return new InferenceModel(peft, peft.Model, architecture, adapter.ConfigJson, adapter, referencedBase);
        }

        nn.Module merged = peft.MergeAndUnload();
        peft.Dispose();
        return new InferenceModel(merged, merged, architecture, unmergedAdapterConfig: null, adapter, referencedBase);
    }
}
