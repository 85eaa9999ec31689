using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.MLNetSeam;
using Microsoft.ML.Peft.Training.Precision;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// What a model saved with <see cref="BaseModelStorage.Reference"/> holds instead of the network's weights: the
/// reference to the base model and the SHA-256 of its weights, the task head as training started from it, and every
/// state-dict entry training may have changed (the trainable parameters and all buffers, such as batch-norm
/// statistics), taken from the network with its adapter layers, before merging. With the base model these rebuild the
/// network exactly as training left it.
/// </summary>
internal sealed class ReferencedBase : IDisposable
{
    private const string AdapterConfigEntry = "AdapterConfig.json";
    private const string HeadEntry = "BaseModelInitialHead.safetensors";
    private const string TrainedStateEntry = "TrainedState.safetensors";

    private readonly Dictionary<string, Tensor> _initialHead;
    private readonly Dictionary<string, Tensor> _trainedState;

    private ReferencedBase(
        BaseModelReference reference,
        string weightsSha256,
        bool roundedToBFloat16,
        string adapterConfig,
        Dictionary<string, Tensor> initialHead,
        Dictionary<string, Tensor> trainedState)
    {
        Reference = reference;
        AdapterConfig = adapterConfig;
        WeightsSha256 = weightsSha256;
        RoundedToBFloat16 = roundedToBFloat16;
        _initialHead = initialHead;
        _trainedState = trainedState;
    }

    public BaseModelReference Reference { get; }

    /// <summary>The trained adapter's <c>adapter_config.json</c> (as <see cref="TrainedAdapter.ConfigJson"/>).</summary>
    public string AdapterConfig { get; }

    /// <summary>See <see cref="BaseModelSnapshot.WeightsSha256"/>.</summary>
    public string WeightsSha256 { get; }

    /// <summary>
    /// Whether training ran the frozen base in bfloat16, which leaves the frozen weights rounded to bfloat16 (see
    /// <see cref="MixedPrecision.Apply"/>); the rebuild rounds them the same way.
    /// </summary>
    public bool RoundedToBFloat16 { get; }

    /// <summary>
    /// Takes what <paramref name="peft"/> changed after training (before it is merged), with a copy of
    /// <paramref name="snapshot"/>'s head and the configuration of <paramref name="adapter"/> (captured from <paramref name="peft"/>).
    /// </summary>
    public static ReferencedBase Capture(BaseModelReference reference, BaseModelSnapshot snapshot, PeftModel peft, TrainedAdapter adapter, bool roundedToBFloat16)
    {
        var frozen = peft.named_parameters().Where(p => !p.parameter.requires_grad).Select(p => p.name).ToHashSet(StringComparer.Ordinal);
        var trained = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var head = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using (no_grad())
        {
            foreach ((string key, Tensor value) in snapshot.InitialHead)
            {
                head[key] = value.clone().DetachFromDisposeScope();
            }

            foreach ((string key, Tensor value) in peft.state_dict())
            {
                if (!frozen.Contains(key))
                {
                    trained[key] = value.detach().cpu().clone().DetachFromDisposeScope();
                }
            }
        }

        return new ReferencedBase(reference, snapshot.WeightsSha256, roundedToBFloat16, adapter.ConfigJson, head, trained);
    }

    public void Save(ModelWriter writer)
    {
        writer.WriteString(Reference.Location);
        writer.WriteStringOrNull(Reference.Revision);
        writer.WriteString(WeightsSha256);
        writer.Writer.Write(RoundedToBFloat16);
        writer.WriteBinaryStream(AdapterConfigEntry, w => w.Write(AdapterConfig));
        TensorStreams.Write(writer, HeadEntry, _initialHead);
        TensorStreams.Write(writer, TrainedStateEntry, _trainedState);
    }

    public static ReferencedBase Load(ModelReader reader)
    {
        var reference = new BaseModelReference(reader.ReadString(), reader.ReadStringOrNull());
        string sha256 = reader.ReadString();
        bool rounded = reader.Reader.ReadBoolean();
        string? adapterConfig = null;
        if (!reader.TryReadBinaryStream(AdapterConfigEntry, r => adapterConfig = r.ReadString()))
        {
            throw new InvalidDataException($"The saved model refers to its base model but has no '{AdapterConfigEntry}' entry.");
        }

        var head = TensorStreams.ReadAll(reader, HeadEntry);
        var trained = TensorStreams.ReadAll(reader, TrainedStateEntry);
        return new ReferencedBase(reference, sha256, rounded, adapterConfig!, head, trained);
    }

    /// <summary>
    /// Resolves the base model, checks its weights, and rebuilds the trained network on it: the <see cref="PeftModel"/>
    /// with the adapter layers, or, when <paramref name="merge"/>, the network with the adapter merged in; and the
    /// trained adapter's export copy, taken again before merging. The adapter is injected as for training (whatever
    /// its saved <c>inference_mode</c>), so the same modules are frozen and rounded.
    /// </summary>
    /// <param name="architecture">The network's architecture, as saved.</param>
    /// <param name="merge">Merge the adapter into the base weights, as training did.</param>
    /// <exception cref="BaseModelMismatchException">The base model's weights are not the ones the model was trained on.</exception>
    public (nn.Module Root, nn.Module Network, TrainedAdapter Adapter) Rebuild(ModelArchitecture architecture, bool merge)
    {
        string path = Reference.Resolve();
        nn.Module network = architecture.BuildFromBase(path);
        PeftModel? peft = null;
        try
        {
            BaseModelSnapshot.RestoreHead(network, _initialHead, architecture.HeadPrefix);
            string actual = BaseModelSnapshot.Digest(network, architecture.HeadPrefix);
            if (actual != WeightsSha256)
            {
                throw new BaseModelMismatchException(
                    $"The saved model refers to the base model '{Reference}' (found at '{path}'), but its weights are not the ones the model was trained on: " +
                    $"their SHA-256 is {actual}, the model expects {WeightsSha256}. Restore that base model, or save the model with BaseModelStorage.Embedded.",
                    Reference.ToString(), WeightsSha256, actual);
            }

            PeftConfig config = PeftConfigJson.Read(AdapterConfig, $"the saved model's '{AdapterConfigEntry}'") with { InferenceMode = false };
            peft = PeftModel.Create(network, config);
            if (RoundedToBFloat16)
            {
                MixedPrecision.Apply(network).Dispose();
            }

            using var trained = new InMemoryTensorSource(_trainedState, "the saved model's trained state");
            ModuleWeights.Load(peft, trained, new WeightLoadOptions { MayBeMissing = key => !_trainedState.ContainsKey(key) });
            TrainedAdapter adapter = TrainedAdapter.Capture(peft);
            if (!merge)
            {
                return (peft, peft.Model, adapter);
            }

            try
            {
                nn.Module merged = peft.MergeAndUnload();
                peft.Dispose();
                return (merged, merged, adapter);
            }
            catch
            {
                adapter.Dispose();
                throw;
            }
        }
        catch
        {
            PeftFitting.DisposeOwned(peft, network);
            throw;
        }
    }

    public void Dispose()
    {
        foreach (Tensor tensor in _initialHead.Values.Concat(_trainedState.Values))
        {
            tensor.Dispose();
        }

        _initialHead.Clear();
        _trainedState.Clear();
    }
}
