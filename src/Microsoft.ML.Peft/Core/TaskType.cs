namespace Microsoft.ML.Peft;

/// <summary>The task an adapter was trained for, as Hugging Face PEFT's <c>TaskType</c> (<c>task_type</c> in <c>adapter_config.json</c>).</summary>
public enum TaskType
{
    /// <summary>Sequence classification; PEFT's <c>"SEQ_CLS"</c>.</summary>
    SeqCls,

    /// <summary>Token classification; PEFT's <c>"TOKEN_CLS"</c>.</summary>
    TokenCls,

    /// <summary>Causal language modeling; PEFT's <c>"CAUSAL_LM"</c>.</summary>
    CausalLm,

    /// <summary>Sequence-to-sequence language modeling; PEFT's <c>"SEQ_2_SEQ_LM"</c>.</summary>
    Seq2SeqLm,

    /// <summary>Extractive question answering; PEFT's <c>"QUESTION_ANS"</c>.</summary>
    QuestionAns,

    /// <summary>Feature extraction; PEFT's <c>"FEATURE_EXTRACTION"</c>.</summary>
    FeatureExtraction,
}
