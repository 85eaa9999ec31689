using Microsoft.ML.Peft.MLNetSeam;
using Microsoft.ML.Peft.Text;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Peft.Transforms;

/// <summary>Catalog extensions: <c>mlContext.Transforms.Text.TokenizeForTransformer(...)</c>.</summary>
public static class TextTokenizingCatalog
{
    /// <summary>
    /// Tokenises <paramref name="inputColumnName"/> (paired with <paramref name="secondInputColumnName"/> when given) with a
    /// BERT or RoBERTa tokenizer, adding <c>{outputColumnPrefix}InputIds</c> and, for BERT, <c>{outputColumnPrefix}TokenTypeIds</c>.
    /// </summary>
    /// <param name="catalog">The text transforms catalog.</param>
    /// <param name="tokenizer">A <see cref="BertTextTokenizer"/> or <see cref="RobertaTextTokenizer"/>; it is saved with the model.</param>
    /// <param name="inputColumnName">The text column.</param>
    /// <param name="secondInputColumnName">The second text of a sentence pair, or null.</param>
    /// <param name="outputColumnPrefix">Prefix for the output column names.</param>
    /// <param name="maxLength">Truncate to at most this many tokens (pairs: longest first); null uses the tokenizer's limit.</param>
    public static TextTokenizingEstimator TokenizeForTransformer(
        this TransformsCatalog.TextTransforms catalog,
        TextTokenizer tokenizer,
        string inputColumnName,
        string? secondInputColumnName = null,
        string outputColumnPrefix = "",
        int? maxLength = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        IHostEnvironment environment = CatalogEnvironment.Of(catalog);
        return new TextTokenizingEstimator(environment, tokenizer, inputColumnName, secondInputColumnName, outputColumnPrefix, maxLength);
    }
}
