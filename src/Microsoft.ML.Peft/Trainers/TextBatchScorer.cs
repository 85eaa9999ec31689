using Microsoft.ML.Peft.Models.Common;
using Microsoft.ML.Peft.Text;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// Tokenizes a batch of texts (truncated to the model's maximum length), pads it to its own longest row (dynamic
/// padding; the attention mask hides the padding) and runs the classifier once for the batch.
/// </summary>
internal sealed class TextBatchScorer : IBatchScorer<TextInput>
{
    private readonly InferenceModel _model;
    private readonly ISequenceClassificationModel _classifier;
    private readonly TextTokenizer _tokenizer;
    private readonly int _maxLength;
    private readonly ScoreOutputs _outputs;

    public TextBatchScorer(InferenceModel model, TextTokenizer tokenizer, int maxLength, ScoreOutputs outputs)
    {
        _model = model;
        _classifier = model.Network as ISequenceClassificationModel
            ?? throw new ArgumentException($"{model.Network.GetType().Name} is not a sequence classifier.", nameof(model));
        _tokenizer = tokenizer;
        _maxLength = maxLength;
        _outputs = outputs;
    }

    public float[][] Score(IReadOnlyList<TextInput> inputs)
    {
        if (inputs.Count == 0)
        {
            return [];
        }

        var rows = new TokenizedText[inputs.Count];
        for (int i = 0; i < rows.Length; i++)
        {
            TextInput input = inputs[i];
            rows[i] = input.Second is null ? _tokenizer.Encode(input.First, _maxLength) : _tokenizer.Encode(input.First, input.Second, _maxLength);
        }

        TokenizedBatch batch = TokenizedBatch.Pad(rows, _tokenizer.PaddingTokenId);
        return _model.Infer(
            device =>
            {
                TokenizedTensors tensors = batch.ToTensors(device); // freed by the inference scope
                return _classifier.Forward(tensors.InputIds, tensors.AttentionMask, tensors.TokenTypeIds);
            },
            _outputs,
            rows.Length);
    }
}
