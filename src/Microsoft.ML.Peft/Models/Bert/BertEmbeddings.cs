using Microsoft.ML.Peft.Models.Common;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Bert;

/// <summary>
/// transformers' <c>BertEmbeddings</c>: word + token type + absolute position embeddings, then LayerNorm and dropout.
/// RoBERTa uses it too, with its position table's padding row and its own position ids.
/// </summary>
[ResolvesChildrenByName]
internal sealed class BertEmbeddings : nn.Module
{
    public BertEmbeddings(BertConfig config, long? positionPaddingIndex = null)
        : base(nameof(BertEmbeddings))
    {
        Embedding word = EmbeddingPadding.Create(config.VocabSize, config.HiddenSize, config.PadTokenId);
        Embedding position = EmbeddingPadding.Create(config.MaxPositionEmbeddings, config.HiddenSize, positionPaddingIndex);
        Embedding tokenType = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        HuggingFaceInitialization.InitializeEmbedding(word, config.InitializerRange, config.PadTokenId);
        HuggingFaceInitialization.InitializeEmbedding(position, config.InitializerRange, positionPaddingIndex);
        HuggingFaceInitialization.InitializeEmbedding(tokenType, config.InitializerRange, paddingIndex: null);

        register_module("word_embeddings", word);
        register_module("position_embeddings", position);
        register_module("token_type_embeddings", tokenType);
        register_module("LayerNorm", nn.LayerNorm(config.HiddenSize, config.LayerNormEps));
        register_module("dropout", new FastDropout(config.HiddenDropoutProb));
    }

    /// <param name="inputIds">[batch, sequence] token ids.</param>
    /// <param name="tokenTypeIds">[batch, sequence] segment ids.</param>
    /// <param name="positionIds">[batch or 1, sequence] position ids.</param>
    public Tensor Forward(Tensor inputIds, Tensor tokenTypeIds, Tensor positionIds)
    {
        using var scope = NewDisposeScope();
        Tensor words = this.Call("word_embeddings", inputIds);
        Tensor types = this.Call("token_type_embeddings", tokenTypeIds);
        Tensor positions = this.Call("position_embeddings", positionIds);
        Tensor sum = words.Plus(types).PlusInPlace(positions);
        Tensor normalized = this.Call("LayerNorm", sum);
        return this.Call("dropout", normalized).MoveToOuterDisposeScope();
    }
}
