using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tuners.IA3;

/// <summary>
/// The (IA)³ layers' common part, as Hugging Face PEFT's <c>IA3Layer</c>: one learned vector per adapter, registered as
/// <c>ia3_l</c> (PEFT's <c>nn.ParameterDict</c>), so the in-memory key is <c>…key.ia3_l.default</c> and the saved key
/// <c>base_model.model.…key.ia3_l</c>. A feed-forward layer multiplies its input by the vector, any other its output.
/// </summary>
/// <remarks>
/// Merging multiplies the base weight by the vector (rows for output scaling, columns or input channels for
/// feed-forward layers) and, for output scaling, the bias too; unmerging divides by the vector plus 1e-8, as PEFT does,
/// so it restores the weights up to rounding.
/// </remarks>
public abstract class IA3Layer : TunerLayer
{
    /// <summary>PEFT's tolerance against division by zero when unmerging.</summary>
    internal const double UnmergeEpsilon = 1e-8;

    // The field name is the state-dict name.
    private readonly AdapterParameters ia3_l = new();

    /// <summary>Wraps <paramref name="baseLayer"/>; derived constructors then add the first adapter.</summary>
    private protected IA3Layer(string name, nn.Module<Tensor, Tensor> baseLayer, bool isFeedforward)
        : base(name, baseLayer)
    {
        IsFeedforward = isFeedforward;
        register_module("ia3_l", ia3_l);
    }

    /// <summary>Whether this layer rescales its input (feed-forward) rather than its output.</summary>
    public bool IsFeedforward { get; }

    /// <summary>The learned vector of an adapter, in PEFT's shape (see the derived layers).</summary>
    /// <exception cref="KeyNotFoundException">This layer has no such adapter.</exception>
    public Parameter Vector(string adapterName) => ia3_l[adapterName];

    /// <inheritdoc />
    public override IEnumerable<Parameter> AdapterParameters(string adapterName)
    {
        if (ia3_l.Contains(adapterName))
        {
            yield return ia3_l[adapterName];
        }
    }

    /// <summary>Adds an adapter (PEFT's <c>update_layer</c>): a vector of ones, or standard normal without <c>init_ia3_weights</c>.</summary>
    internal void UpdateLayer(string adapterName, bool initIA3Weights)
    {
        if (HasAdapter(adapterName))
        {
            throw new ArgumentException($"{GetName()} already has an adapter '{adapterName}'.", nameof(adapterName));
        }

        Tensor weight = BaseWeight;

        // Half-precision bases keep float32 vectors (PEFT creates them in float32 and moves only the device).
        ScalarType dtype = weight.dtype is ScalarType.Float16 or ScalarType.BFloat16 ? ScalarType.Float32 : weight.dtype;
        long[] shape = VectorShape;
        Tensor initial = initIA3Weights
            ? torch.ones(shape, dtype: dtype, device: weight.device)
            : torch.randn(shape, dtype: dtype, device: weight.device);

        // Parameters outlive whatever dispose scope the adapter was created in.
        ia3_l.Add(adapterName, new Parameter(initial.DetachFromDisposeScope()));
        RegisterAdapterName(adapterName);
    }

    /// <summary>The base layer's weight, in its own layout.</summary>
    private protected abstract Tensor BaseWeight { get; }

    /// <summary>The base layer's bias, or <c>null</c>.</summary>
    private protected abstract Tensor? BaseBias { get; }

    /// <summary>The shape of a new vector (PEFT's, per layer type and feed-forward flag).</summary>
    private protected abstract long[] VectorShape { get; }

    /// <summary>The vector reshaped to broadcast over the base weight (rows, columns or channels).</summary>
    private protected abstract Tensor VectorInWeightLayout(Tensor vector);

    /// <summary>The vector reshaped to broadcast over the base layer's input or output.</summary>
    private protected abstract Tensor VectorInActivationLayout(Tensor vector);

    /// <inheritdoc />
    protected override bool TransformsInput => IsFeedforward;

    /// <inheritdoc />
    protected override Tensor TransformInput(Tensor input)
    {
        Tensor vector = ia3_l[ActiveAdapter!];
        Tensor scaled = input.to(vector.dtype) * VectorInActivationLayout(vector);
        return scaled.to(input.dtype);
    }

    /// <inheritdoc />
    protected override Tensor TransformOutput(Tensor input, Tensor output)
    {
        if (IsFeedforward)
        {
            // The input was scaled already; a new handle keeps the "returns a new tensor" contract.
            return output.alias();
        }

        Tensor vector = ia3_l[ActiveAdapter!];
        return (output.to(vector.dtype) * VectorInActivationLayout(vector)).to(output.dtype);
    }

    /// <inheritdoc />
    protected override void RemoveAdapterWeights(string adapterName) => ia3_l.Remove(adapterName);

    /// <inheritdoc />
    protected override void MergeAdapterWeights(string adapterName)
    {
        using var scope = NewDisposeScope();
        Tensor vector = ia3_l[adapterName].detach();
        Tensor weight = BaseWeight;
        weight.mul_(VectorInWeightLayout(vector).to(weight.dtype));
        if (!IsFeedforward && BaseBias is { } bias)
        {
            bias.mul_(vector.reshape(bias.shape).to(bias.dtype));
        }
    }

    /// <inheritdoc />
    protected override void UnmergeAdapterWeights(string adapterName)
    {
        using var scope = NewDisposeScope();
        Tensor vector = ia3_l[adapterName].detach().Minus(-UnmergeEpsilon); // explicit Scalar (TensorScaling)
        Tensor weight = BaseWeight;
        weight.div_(VectorInWeightLayout(vector).to(weight.dtype));

        // PEFT's Conv2d.unmerge multiplies the bias a second time; dividing is what restores it.
        if (!IsFeedforward && BaseBias is { } bias)
        {
            bias.div_(vector.reshape(bias.shape).to(bias.dtype));
        }
    }
}
