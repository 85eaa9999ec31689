namespace Microsoft.ML.Peft.Text;

/// <summary>
/// A token matched in the text before the model sees it (for example <c>[SEP]</c>, <c>&lt;mask&gt;</c> or a word added
/// with Hugging Face's <c>add_tokens</c>), with Hugging Face's AddedToken settings:
/// <paramref name="StripLeft"/>/<paramref name="StripRight"/> swallow the white space beside it (<c>lstrip</c>/<c>rstrip</c>);
/// <paramref name="Normalized"/> matches it, normalized, in the normalized text instead of verbatim in the raw text
/// (<c>normalized</c>); <paramref name="SingleWord"/> matches it only where no word character touches it
/// (<c>single_word</c>).
/// </summary>
internal sealed record SpecialToken(
    string Content, int Id, bool StripLeft = false, bool StripRight = false, bool Normalized = false, bool SingleWord = false);
