using Microsoft.ML.Peft.Models.Common;
using Microsoft.ML.Peft.Text;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// Tokenizes texts (truncated to the model's maximum length), groups them by token count into batches, pads each batch
/// to its own longest row (dynamic padding; the attention mask hides the padding) and runs the classifier once per batch.
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

    public float[][] Score(IReadOnlyList<TextInput> inputs, int batchSize)
    {
        var rows = new TokenizedText[inputs.Count];
        for (int i = 0; i < rows.Length; i++)
        {
            TextInput input = inputs[i];
            rows[i] = input.Second is null ? _tokenizer.Encode(input.First, _maxLength) : _tokenizer.Encode(input.First, input.Second, _maxLength);
        }

        return ScoringBatches.Gather(rows.Length, ScoringBatches.ByLength(rows.Select(r => r.InputIds.Count).ToArray(), batchSize), group =>
        {
            TokenizedBatch batch = TokenizedBatch.Pad(group.Select(i => rows[i]).ToArray(), _tokenizer.PaddingTokenId);
            return _model.Infer(
                device =>
                {
                    TokenizedTensors tensors = batch.ToTensors(device); // freed by the inference scope
                    return _classifier.Forward(tensors.InputIds, tensors.AttentionMask, tensors.TokenTypeIds);
                },
                _outputs,
                group.Length);
        });
    }
}
