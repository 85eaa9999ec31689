using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.MLNetSeam;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// A trained network ready for prediction, shared by every cursor of a transformer: in eval mode, run under
/// <c>no_grad</c> in a dispose scope per batch, never changed after construction (so concurrent forward passes are
/// safe). It is either the plain network with the adapter merged in, or a <see cref="PeftModel"/> that keeps the
/// adapter layers. Saved as its architecture, the adapter configuration needed to rebuild the same module tree when
/// unmerged, and either its weights (the full state dict, as safetensors) or, with <see cref="BaseModelStorage.Reference"/>,
/// a <see cref="ReferencedBase"/>.
/// </summary>
internal sealed class InferenceModel : IDisposable
{
    private const string ConfigEntry = "ModelConfig.json";
    private const string WeightsEntry = "Weights.safetensors";
    private const string UnmergedAdapterEntry = "UnmergedAdapterConfig.json";

    /// <summary>
    /// 1: the adapter, then always the full state dict. 2: a <see cref="BaseModelStorage"/> byte, then the adapter and the
    /// state dict (embedded) or a <see cref="ReferencedBase"/> (reference).
    /// </summary>
    private const int Layout = 2;

    private readonly nn.Module _root;
    private readonly string? _unmergedAdapterConfig;
    private readonly ReferencedBase? _referencedBase;

    /// <param name="root">The module whose state dict is saved: <paramref name="network"/> itself, or the <see cref="PeftModel"/> around it.</param>
    /// <param name="network">The network to call (a BERT-style classifier or a ResNet).</param>
    /// <param name="architecture">How to build <paramref name="network"/> again.</param>
    /// <param name="unmergedAdapterConfig">The PEFT configuration when <paramref name="root"/> keeps the adapter layers; null when merged.</param>
    /// <param name="adapter">The trained adapter, kept for export; null for full fine-tuning.</param>
    /// <param name="referencedBase">What to save instead of the weights, to store the base model by reference; null embeds the weights.</param>
    public InferenceModel(
        nn.Module root, nn.Module network, ModelArchitecture architecture, string? unmergedAdapterConfig, TrainedAdapter? adapter, ReferencedBase? referencedBase = null)
    {
        _root = root;
        Network = network;
        Architecture = architecture;
        _unmergedAdapterConfig = unmergedAdapterConfig;
        Adapter = adapter;
        _referencedBase = referencedBase;
        _root.eval();
        foreach (TorchSharp.Modules.Parameter parameter in _root.parameters())
        {
            parameter.requires_grad = false;
        }

        Device = _root.parameters().FirstOrDefault()?.device ?? CPU;
    }

    /// <summary>The network to call.</summary>
    public nn.Module Network { get; }

    public ModelArchitecture Architecture { get; }

    /// <summary>Whether the adapter (if any) is merged into the base weights.</summary>
    public bool IsAdapterMerged => _unmergedAdapterConfig is null;

    /// <summary>The trained adapter, or null for full fine-tuning.</summary>
    public TrainedAdapter? Adapter { get; }

    /// <summary>How <see cref="Save"/> stores the base model.</summary>
    public BaseModelStorage BaseModelStorage => _referencedBase is null ? BaseModelStorage.Embedded : BaseModelStorage.Reference;

    /// <summary>The base model a <see cref="BaseModelStorage.Reference"/> model refers to (path or Hub id@commit); null when embedded.</summary>
    public string? ReferencedBaseModel => _referencedBase?.Reference.ToString();

    /// <summary>Where the weights live; inputs are moved there.</summary>
    public Device Device { get; }

    /// <summary>
    /// Runs <paramref name="forward"/> (which builds its inputs on the given device and calls <see cref="Network"/>) without
    /// gradients in its own dispose scope, turns the output into scores with <paramref name="outputs"/>, and copies them
    /// out, one array per row.
    /// </summary>
    public float[][] Infer(Func<Device, Tensor> forward, ScoreOutputs outputs, int rows)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor scores = outputs.ToScores(forward(Device)).cpu().contiguous();
        float[] flat = scores.data<float>().ToArray();
        int width = outputs.ScoresPerRow;
        if (flat.Length != rows * width)
        {
            throw new InvalidOperationException($"The model scored {flat.Length / Math.Max(width, 1)} rows for a batch of {rows}.");
        }

        var result = new float[rows][];
        for (int i = 0; i < rows; i++)
        {
            result[i] = flat.AsSpan(i * width, width).ToArray();
        }

        return result;
    }

    public void Save(ModelWriter writer)
    {
        writer.Writer.Write(Layout);
        writer.WriteString(Architecture.Kind);
        writer.WriteBinaryStream(ConfigEntry, w => w.Write(Architecture.ConfigText));
        if (_unmergedAdapterConfig is not null)
        {
            writer.WriteBinaryStream(UnmergedAdapterEntry, w => w.Write(_unmergedAdapterConfig));
        }

        writer.Writer.Write((byte)BaseModelStorage);
        if (_referencedBase is null)
        {
            writer.Writer.Write(Adapter is not null);
            Adapter?.Save(writer);
            TensorStreams.Write(writer, WeightsEntry, _root.state_dict());
        }
        else
        {
            // The trained state holds the adapter's tensors, so the export copy is taken again at load.
            _referencedBase.Save(writer);
        }
    }

    /// <summary>
    /// Rebuilds the module tree and loads the saved weights into it (strictly: every key must fit), or rebuilds it on the
    /// referenced base model. The model runs on the CPU.
    /// </summary>
    /// <exception cref="BaseModelMismatchException">The referenced base model's weights are not the ones the model was trained on.</exception>
    public static InferenceModel Load(ModelReader reader)
    {
        int layout = reader.Reader.ReadInt32();
        if (layout is < 1 or > Layout)
        {
            throw new InvalidDataException($"The saved model's network layout {layout} is not supported (expected 1 to {Layout}).");
        }

        string kind = reader.ReadString();
        string? configText = null;
        if (!reader.TryReadBinaryStream(ConfigEntry, r => configText = r.ReadString()))
        {
            throw new InvalidDataException($"The saved model has no '{ConfigEntry}' entry.");
        }

        string? unmerged = null;
        reader.TryReadBinaryStream(UnmergedAdapterEntry, r => unmerged = r.ReadString());
        var storage = layout == 1 ? BaseModelStorage.Embedded : (BaseModelStorage)reader.Reader.ReadByte();
        var architecture = new ModelArchitecture(kind, configText!);
        switch (storage)
        {
            case BaseModelStorage.Embedded:
                TrainedAdapter? adapter = reader.Reader.ReadBoolean() ? TrainedAdapter.Load(reader) : null;
                try
                {
                    (nn.Module root, nn.Module network) = LoadEmbedded(reader, architecture, unmerged);
                    return new InferenceModel(root, network, architecture, unmerged, adapter);
                }
                catch
                {
                    adapter?.Dispose();
                    throw;
                }

            case BaseModelStorage.Reference:
                ReferencedBase referencedBase = ReferencedBase.Load(reader);
                try
                {
                    (nn.Module root, nn.Module network, TrainedAdapter trained) = referencedBase.Rebuild(architecture, merge: unmerged is null);
                    return new InferenceModel(root, network, architecture, unmerged, trained, referencedBase);
                }
                catch
                {
                    referencedBase.Dispose();
                    throw;
                }

            default:
                throw new InvalidDataException($"The saved model's base-model storage {(int)storage} is unknown (expected 0 or 1).");
        }
    }

    public void Dispose()
    {
        _root.Dispose();
        Adapter?.Dispose();
        _referencedBase?.Dispose();
    }

    private static (nn.Module Root, nn.Module Network) LoadEmbedded(ModelReader reader, ModelArchitecture architecture, string? unmerged)
    {
        nn.Module network = architecture.Build();
        nn.Module root = network;
        try
        {
            if (unmerged is not null)
            {
                root = PeftModel.Create(network, PeftConfigJson.Read(unmerged, $"the saved model's '{UnmergedAdapterEntry}'"));
            }

            TensorStreams.Read(reader, WeightsEntry, source => ModuleWeights.Load(root, source));
            return (root, network);
        }
        catch
        {
            root.Dispose();
            throw;
        }
    }
}
