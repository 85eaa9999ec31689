using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.PeftModels.Support;

/// <summary>How a stand-in attention block holds and invokes query, key and value.</summary>
public enum ChildStyle
{
    /// <summary>Fields typed <c>nn.Module&lt;Tensor, Tensor&gt;</c>, invoked with <c>forward</c>: PEFT swaps the fields.</summary>
    SwappableFields,

    /// <summary>Fields typed <c>Linear</c>, invoked with <c>call</c>, class marked [InvokesChildrenWithCall]: PEFT hooks them.</summary>
    HookedCalls,

    /// <summary>Fields typed <c>Linear</c>, invoked with <c>forward</c>, no attribute: PEFT must refuse.</summary>
    DirectForward,
}

/// <summary>
/// A tiny BERT-for-sequence-classification with Hugging Face module names
/// (<c>bert.embeddings.word_embeddings</c>, <c>bert.encoder.layer.N.attention.self.{query,key,value}</c>,
/// <c>…attention.output.dense</c>, <c>…intermediate.dense</c>, <c>…output.dense</c>, <c>classifier</c>), standing in for
/// the real BERT (built on another branch). PEFT works on any module tree by name, so this is what it sees.
/// </summary>
internal sealed class TinyBert : nn.Module<Tensor, Tensor>
{
    public readonly TinyBertModel bert;
    public nn.Module<Tensor, Tensor> classifier;

    public TinyBert(int vocab = 20, int hidden = 16, int layers = 2, int intermediate = 24, int labels = 3, ChildStyle style = ChildStyle.SwappableFields)
        : base(nameof(TinyBert))
    {
        bert = new TinyBertModel(vocab, hidden, layers, intermediate, style);
        classifier = nn.Linear(hidden, labels);
        RegisterComponents();
    }

    public Linear Classifier => (Linear)classifier;

    /// <summary>Token ids [N, T] (int64) to logits [N, labels] from the first token.</summary>
    public override Tensor forward(Tensor ids)
    {
        using var scope = NewDisposeScope();
        Tensor hidden = bert.forward(ids);
        return classifier.forward(hidden.select(1, 0)).MoveToOuterDisposeScope();
    }

    public static Tensor Ids(int batch = 2, int tokens = 5, int vocab = 20, int seed = 3)
    {
        var generator = new Random(seed);
        long[] ids = Enumerable.Range(0, batch * tokens).Select(_ => (long)generator.Next(vocab)).ToArray();
        return torch.tensor(ids, [batch, tokens]);
    }
}

internal sealed class TinyBertModel : nn.Module<Tensor, Tensor>
{
    public readonly TinyEmbeddings embeddings;
    public readonly TinyEncoder encoder;

    public TinyBertModel(int vocab, int hidden, int layers, int intermediate, ChildStyle style)
        : base(nameof(TinyBertModel))
    {
        embeddings = new TinyEmbeddings(vocab, hidden);
        encoder = new TinyEncoder(hidden, layers, intermediate, style);
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids) => encoder.forward(embeddings.forward(ids));
}

internal sealed class TinyEmbeddings : nn.Module<Tensor, Tensor>
{
    public nn.Module<Tensor, Tensor> word_embeddings;

    public TinyEmbeddings(int vocab, int hidden)
        : base(nameof(TinyEmbeddings))
    {
        word_embeddings = nn.Embedding(vocab, hidden);
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids) => word_embeddings.forward(ids);
}

internal sealed class TinyEncoder : nn.Module<Tensor, Tensor>
{
    public readonly ModuleList<TinyBertLayer> layer;

    public TinyEncoder(int hidden, int layers, int intermediate, ChildStyle style)
        : base(nameof(TinyEncoder))
    {
        layer = new ModuleList<TinyBertLayer>(Enumerable.Range(0, layers).Select(_ => new TinyBertLayer(hidden, intermediate, style)).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        foreach (TinyBertLayer block in layer)
        {
            hidden = block.forward(hidden);
        }

        return hidden.MoveToOuterDisposeScope();
    }
}

internal sealed class TinyBertLayer : nn.Module<Tensor, Tensor>
{
    public readonly TinyAttention attention;
    public readonly TinyDense intermediate;
    public readonly TinyDense output;

    public TinyBertLayer(int hidden, int intermediateSize, ChildStyle style)
        : base(nameof(TinyBertLayer))
    {
        attention = new TinyAttention(hidden, style);
        intermediate = new TinyDense(hidden, intermediateSize);
        output = new TinyDense(intermediateSize, hidden);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        Tensor attended = hidden + attention.forward(hidden);
        Tensor result = attended + output.forward(nn.functional.gelu(intermediate.forward(attended)));
        return result.MoveToOuterDisposeScope();
    }
}

internal sealed class TinyAttention : nn.Module<Tensor, Tensor>
{
    public readonly nn.Module<Tensor, Tensor> self;
    public readonly TinyDense output;

    public TinyAttention(int hidden, ChildStyle style)
        : base(nameof(TinyAttention))
    {
        self = style switch
        {
            ChildStyle.SwappableFields => new SwappableSelfAttention(hidden),
            ChildStyle.HookedCalls => new HookedSelfAttention(hidden),
            _ => new DirectSelfAttention(hidden),
        };
        output = new TinyDense(hidden, hidden);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden) => output.forward(self.forward(hidden));

    internal static Tensor Attend(Tensor q, Tensor k, Tensor v)
    {
        using var scope = NewDisposeScope();
        Tensor scores = q.matmul(k.transpose(1, 2)) / Math.Sqrt(q.shape[^1]);
        return scores.softmax(-1).matmul(v).MoveToOuterDisposeScope();
    }
}

internal sealed class SwappableSelfAttention : nn.Module<Tensor, Tensor>
{
    public nn.Module<Tensor, Tensor> query;
    public nn.Module<Tensor, Tensor> key;
    public nn.Module<Tensor, Tensor> value;

    public SwappableSelfAttention(int hidden)
        : base("BertSelfAttention")
    {
        query = nn.Linear(hidden, hidden);
        key = nn.Linear(hidden, hidden);
        value = nn.Linear(hidden, hidden);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden) =>
        TinyAttention.Attend(query.forward(hidden), key.forward(hidden), value.forward(hidden));
}

[InvokesChildrenWithCall]
internal sealed class HookedSelfAttention : nn.Module<Tensor, Tensor>
{
    public readonly Linear query;
    public readonly Linear key;
    public readonly Linear value;

    public HookedSelfAttention(int hidden)
        : base("BertSelfAttention")
    {
        query = nn.Linear(hidden, hidden);
        key = nn.Linear(hidden, hidden);
        value = nn.Linear(hidden, hidden);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden) =>
        TinyAttention.Attend(query.call(hidden), key.call(hidden), value.call(hidden));
}

internal sealed class DirectSelfAttention : nn.Module<Tensor, Tensor>
{
    public readonly Linear query;
    public readonly Linear key;
    public readonly Linear value;

    public DirectSelfAttention(int hidden)
        : base("BertSelfAttention")
    {
        query = nn.Linear(hidden, hidden);
        key = nn.Linear(hidden, hidden);
        value = nn.Linear(hidden, hidden);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden) =>
        TinyAttention.Attend(query.forward(hidden), key.forward(hidden), value.forward(hidden));
}

internal sealed class TinyDense : nn.Module<Tensor, Tensor>
{
    public nn.Module<Tensor, Tensor> dense;

    public TinyDense(int inputs, int outputs)
        : base(nameof(TinyDense))
    {
        dense = nn.Linear(inputs, outputs);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden) => dense.forward(hidden);
}

/// <summary>
/// A small CNN with convolutions inside a <see cref="Sequential"/> (<c>features.0</c>, <c>features.2</c>; the second has
/// stride, padding and dilation) and a head <c>fc</c>, standing in for ResNet-style models.
/// </summary>
internal sealed class TinyConvNet : nn.Module<Tensor, Tensor>
{
    public readonly Sequential features;
    public readonly AdaptiveAvgPool2d pool;
    public nn.Module<Tensor, Tensor> fc;

    public TinyConvNet(int classes = 3)
        : base(nameof(TinyConvNet))
    {
        features = nn.Sequential(
            nn.Conv2d(3, 6, kernel_size: 3, stride: 1, padding: 1),
            nn.ReLU(),
            nn.Conv2d(6, 8, kernel_size: 3, stride: 2, padding: 2, dilation: 2));
        pool = nn.AdaptiveAvgPool2d(1);
        fc = nn.Linear(8, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        return fc.forward(pool.forward(features.forward(images)).flatten(1)).MoveToOuterDisposeScope();
    }

    public static Tensor Images(int seed = 5) => torch.randn([2, 3, 9, 9], generator: new Generator((ulong)seed));
}

/// <summary>A dense layer storing its weight [in, out] like GPT-2's <c>Conv1D</c> (y = x·W + b).</summary>
internal sealed class TransposedLinear : nn.Module<Tensor, Tensor>
{
    public readonly Parameter weight;
    public readonly Parameter bias;

    public TransposedLinear(int inputs, int outputs)
        : base(nameof(TransposedLinear))
    {
        weight = new Parameter(torch.randn(inputs, outputs) * 0.3);
        bias = new Parameter(torch.randn(outputs) * 0.1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => x.matmul(weight) + bias;
}

/// <summary>One <see cref="TransposedLinear"/> named <c>c_proj</c> under <c>h.0</c>, as in GPT-2.</summary>
internal sealed class TransposedNet : nn.Module<Tensor, Tensor>
{
    public readonly ModuleList<nn.Module<Tensor, Tensor>> h;

    public TransposedNet(int inputs = 6, int outputs = 5)
        : base(nameof(TransposedNet))
    {
        h = new ModuleList<nn.Module<Tensor, Tensor>>(new TransposedBlock(inputs, outputs));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => h[0].forward(x);
}

internal sealed class TransposedBlock : nn.Module<Tensor, Tensor>
{
    public nn.Module<Tensor, Tensor> c_proj;

    public TransposedBlock(int inputs, int outputs)
        : base(nameof(TransposedBlock))
    {
        c_proj = new TransposedLinear(inputs, outputs);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => c_proj.forward(x);
}
