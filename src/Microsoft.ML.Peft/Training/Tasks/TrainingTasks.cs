using Microsoft.ML.Peft.Models.Common;
using Microsoft.ML.Peft.Text;
using Microsoft.ML.Peft.Training.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Training.Tasks;

/// <summary>The tasks of the library's models: sequence classification/regression and image classification.</summary>
public static class TrainingTasks
{
    /// <summary>Classification of text with a model implementing <see cref="ISequenceClassificationModel"/> (BERT, RoBERTa, with or without PEFT layers).</summary>
    public static ClassificationTask<TextBatch> SequenceClassification() => new(SequenceLogits);

    /// <summary>Regression of text with a one-label <see cref="ISequenceClassificationModel"/>.</summary>
    public static RegressionTask<TextBatch> SequenceRegression() => new(SequenceLogits);

    /// <summary>Classification of images with a model mapping [B, 3, S, S] to logits (a torchvision-style ResNet).</summary>
    public static ClassificationTask<ImageBatch> ImageClassification() => new(ImageLogits);

    private static Tensor SequenceLogits(nn.Module model, TextBatch batch, Device device)
    {
        if (model is not ISequenceClassificationModel classifier)
        {
            throw new ArgumentException(
                $"{model.GetType().Name} does not implement {nameof(ISequenceClassificationModel)}; give the task a forward function instead.", nameof(model));
        }

        TokenizedTensors inputs = batch.Tokens.ToTensors(device);
        return classifier.Forward(inputs.InputIds, inputs.AttentionMask, inputs.TokenTypeIds);
    }

    private static Tensor ImageLogits(nn.Module model, ImageBatch batch, Device device)
    {
        if (model is not nn.Module<Tensor, Tensor> imageModel)
        {
            throw new ArgumentException($"{model.GetType().Name} is not a single-input module (Module<Tensor, Tensor>); give the task a forward function instead.", nameof(model));
        }

        return imageModel.call(batch.ToTensor(device));
    }
}
