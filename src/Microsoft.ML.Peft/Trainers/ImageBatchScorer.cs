using Microsoft.ML.Peft.Vision;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>Decodes and preprocesses images (resize, centre crop, normalize) a batch at a time, in order, and runs the network once per batch.</summary>
internal sealed class ImageBatchScorer : IBatchScorer<ImageInput>
{
    private readonly InferenceModel _model;
    private readonly nn.Module<Tensor, Tensor> _network;
    private readonly ImagePreprocessor _preprocessor;
    private readonly ScoreOutputs _outputs;

    public ImageBatchScorer(InferenceModel model, ImagePreprocessor preprocessor, ScoreOutputs outputs)
    {
        _model = model;
        _network = model.Network as nn.Module<Tensor, Tensor>
            ?? throw new ArgumentException($"{model.Network.GetType().Name} is not an image model (Module<Tensor, Tensor>).", nameof(model));
        _preprocessor = preprocessor;
        _outputs = outputs;
    }

    public float[][] Score(IReadOnlyList<ImageInput> inputs, int batchSize) =>
        ScoringBatches.Gather(inputs.Count, ScoringBatches.InOrder(inputs.Count, batchSize), group =>
        {
            // Decoded one batch at a time: a batch of pixels is what one forward pass holds anyway.
            float[][] pixels = group.Select(i => Preprocess(inputs[i])).ToArray();
            return _model.Infer(
                device =>
                {
                    Tensor batch = _preprocessor.ToBatchTensor(pixels);
                    return _network.call(device.type == TorchSharp.DeviceType.CPU ? batch : batch.to(device));
                },
                _outputs,
                pixels.Length);
        });

    private float[] Preprocess(ImageInput input)
    {
        if (input.Bytes is { } bytes)
        {
            return bytes.Length == 0
                ? throw new ImageDecodeException($"the image of row {input.Row}", "it is empty (no bytes)")
                : _preprocessor.Preprocess(bytes, $"the image of row {input.Row}");
        }

        string path = input.Path ?? string.Empty;
        return path.Length == 0
            ? throw new ImageDecodeException($"the image of row {input.Row}", "its path is empty")
            : _preprocessor.Preprocess(path);
    }
}
