using Microsoft.ML.Peft.Checkpoints;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Models.Common;

/// <summary>
/// A Hugging Face-compatible encoder with a sequence-classification head (BERT, RoBERTa), as the training code sees it.
/// </summary>
public interface ISequenceClassificationModel
{
    /// <summary>The number of logits per sequence.</summary>
    int NumLabels { get; }

    /// <summary>
    /// The name of the head submodule (<c>classifier</c>): what PEFT trains fully and saves (<c>modules_to_save</c>)
    /// while the encoder is frozen.
    /// </summary>
    string ClassifierModuleName { get; }

    /// <summary>Which keys the last <c>FromPretrained</c> loaded, left missing or found unexpected; null for a model built from a config alone.</summary>
    WeightLoadResult? LoadResult { get; }

    /// <summary>
    /// Computes the logits [batch, num_labels] for <paramref name="inputIds"/> [batch, sequence] (int64), with an optional
    /// [batch, sequence] <paramref name="attentionMask"/> (1 = token, 0 = padding) and optional token type ids.
    /// </summary>
    Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null);
}
