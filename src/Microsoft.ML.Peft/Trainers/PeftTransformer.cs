using Microsoft.ML.Data;
using Microsoft.ML.Peft.MLNetSeam;
using Microsoft.ML.Peft.Training;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// What the PEFT trainers return: a fine-tuned network that scores rows like the ML.NET trainer of the same task
/// (same output columns, types and annotations). <see cref="Transform"/> scores rows a batch of
/// <see cref="InferenceBatchSize"/> at a time; a prediction engine scores one row at a time. The network is shared by all
/// cursors and threads and never changes, so concurrent use is safe. <c>mlContext.Model.Save</c> writes everything the
/// model needs into the zip (network configuration and weights, tokenizer or image preprocessing, label classes), so
/// <c>mlContext.Model.Load</c> needs no other file.
/// </summary>
/// <remarks>The network's tensors live in native memory: dispose the transformer when done with it (the garbage collector frees them otherwise).</remarks>
public abstract class PeftTransformer : ITransformer, IDisposable
{
    private readonly RowMappingTransformer _engine;
    private readonly IBatchedRowMapping _mapping;
    private readonly InferenceModel _model;
    private bool _disposed;

    private protected PeftTransformer(
        IHostEnvironment environment, string registrationName, ModelVersion version, IBatchedRowMapping mapping, InferenceModel model, int inferenceBatchSize, TrainingResult? trainingResult)
    {
        _engine = new RowMappingTransformer(environment, registrationName, mapping, version);
        _mapping = mapping;
        _model = model;
        InferenceBatchSize = inferenceBatchSize;
        TrainingResult = trainingResult;
    }

    /// <summary>The number of rows <see cref="Transform"/> scores in one forward pass.</summary>
    public int InferenceBatchSize { get; }

    /// <summary>Whether the network was trained with an adapter (LoRA, …); false after full fine-tuning.</summary>
    public bool HasAdapter => _model.Adapter is not null;

    /// <summary>Whether the adapter is merged into the base weights (the default); false when the network keeps the adapter layers.</summary>
    public bool IsAdapterMerged => _model.IsAdapterMerged;

    /// <summary>How <c>mlContext.Model.Save</c> stores the base model (see <see cref="PeftTrainerOptions.BaseModelStorage"/>).</summary>
    public BaseModelStorage BaseModelStorage => _model.BaseModelStorage;

    /// <summary>
    /// The base model a <see cref="BaseModelStorage.Reference"/> model refers to: its full path, or its Hub id and the
    /// commit (<c>org/name@commit</c>); null when the weights are embedded.
    /// </summary>
    public string? ReferencedBaseModel => _model.ReferencedBaseModel;

    /// <summary>The training run's per-epoch metrics, best epoch and stop reason; null for a model loaded from a file.</summary>
    public TrainingResult? TrainingResult { get; }

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    internal InferenceModel Model => _model;

    /// <summary>
    /// Writes the trained adapter alone in Hugging Face PEFT's format: <c>adapter_config.json</c> and
    /// <c>adapter_model.safetensors</c> in <paramref name="directory"/> (created if missing), loadable with PEFT's
    /// <c>PeftModel.from_pretrained</c> or <see cref="PeftModel.FromPretrained{TModel}(TModel, string, string, bool)"/> onto the base model.
    /// Works whether or not the adapter is merged, and after the model was saved and loaded.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model was fully fine-tuned and has no adapter.</exception>
    public void ExportAdapter(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ObjectDisposedException.ThrowIf(_disposed, this);
        TrainedAdapter adapter = _model.Adapter
            ?? throw new InvalidOperationException("This model was fully fine-tuned (no PEFT configuration), so it has no adapter to export.");
        adapter.Export(directory);
    }

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _engine.GetOutputSchema(inputSchema);

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return ((ITransformer)_engine).GetRowToRowMapper(inputSchema);
    }

    /// <summary>Adds the score columns to <paramref name="input"/>, scoring a batch of <see cref="InferenceBatchSize"/> rows per forward pass.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An input column is missing or of the wrong type (the message names it).</exception>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _mapping.TransformInBatches(input, _engine.GetOutputSchema(input.Schema));
    }

    /// <inheritdoc />
    void ICanSaveModel.Save(ModelSaveContext ctx) => _engine.SaveTo(ctx);

    /// <summary>Frees the network's tensors.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _model.Dispose();
        }

        GC.SuppressFinalize(this);
    }
}
