using Microsoft.ML.Peft.Hub;
using Microsoft.ML.Peft.Models.Common;
using Microsoft.ML.Peft.Text;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// The settings the PEFT text trainers share: the text columns, the base model (a Hugging Face model folder, a
/// <c>.safetensors</c> file with <c>config.json</c> beside it, or a Hub id) and its tokenizer, and the maximum sequence length.
/// </summary>
public abstract class PeftTextTrainerOptions : PeftTrainerOptions
{
    /// <summary>The text column. Default <c>"Text"</c>.</summary>
    public string TextColumnName { get; set; } = "Text";

    /// <summary>The second text of sentence pairs (for example a hypothesis after its premise), or null for single texts.</summary>
    public string? SecondTextColumnName { get; set; }

    /// <summary>
    /// The base model: a local Hugging Face model folder, a <c>.safetensors</c> file with its <c>config.json</c> beside it,
    /// or a Hub id such as <c>google-bert/bert-base-uncased</c> (served from the Hugging Face cache, downloaded when
    /// missing; see <see cref="BaseModelResolver"/>). BERT and RoBERTa (and XLM-R/CamemBERT) checkpoints are supported;
    /// the classification head is created for the label's classes. Ignored when <see cref="BaseModelInstance"/> is set.
    /// </summary>
    public string? BaseModel { get; set; }

    /// <summary>The branch, tag or commit of a Hub <see cref="BaseModel"/>; null for <c>main</c>.</summary>
    public string? BaseModelRevision { get; set; }

    /// <summary>The Hub client for a Hub <see cref="BaseModel"/>; null configures one from the environment (<c>HF_ENDPOINT</c>, <c>HF_HUB_CACHE</c>, <c>HF_TOKEN</c> or the token file of <c>hf auth login</c>, <c>HF_HUB_OFFLINE</c>).</summary>
    public HubClient? Hub { get; set; }

    /// <summary>
    /// A base model already in memory (a <see cref="Models.Bert.BertForSequenceClassification"/> or
    /// <see cref="Models.Roberta.RobertaForSequenceClassification"/>), used as a template: every <c>Fit</c> trains a copy
    /// and leaves this instance untouched (so cross-validation folds all start from it). When its label count differs
    /// from the label's, the copy gets a fresh head. Needs <see cref="Tokenizer"/>.
    /// </summary>
    public ISequenceClassificationModel? BaseModelInstance { get; set; }

    /// <summary>The tokenizer (a <see cref="BertTextTokenizer"/> or <see cref="RobertaTextTokenizer"/>); null loads the one in the <see cref="BaseModel"/> folder.</summary>
    public TextTokenizer? Tokenizer { get; set; }

    /// <summary>Truncate each row to at most this many tokens (special tokens included; pairs longest first); null uses the tokenizer's limit, capped by the model's positions.</summary>
    public int? MaxSequenceLength { get; set; }

    /// <summary>Checks the settings of a text trainer.</summary>
    private protected void ValidateText()
    {
        ValidateCommon(BaseModelInstance is not null);
        ArgumentException.ThrowIfNullOrEmpty(TextColumnName, nameof(TextColumnName));
        if (SecondTextColumnName is { Length: 0 })
        {
            throw new ArgumentException("SecondTextColumnName is empty; use null for single texts.", nameof(SecondTextColumnName));
        }

        if (BaseModelInstance is null && string.IsNullOrWhiteSpace(BaseModel))
        {
            throw new ArgumentException("Set BaseModel (a model folder, .safetensors file or Hub id) or BaseModelInstance.", nameof(BaseModel));
        }

        if (BaseModelInstance is not null && Tokenizer is null)
        {
            throw new ArgumentException("BaseModelInstance needs Tokenizer: a model in memory has no tokenizer files beside it.", nameof(Tokenizer));
        }

        if (MaxSequenceLength is < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSequenceLength), MaxSequenceLength, "MaxSequenceLength must leave room for the special tokens (at least 2).");
        }
    }
}
