namespace Microsoft.ML.Peft.Text;

/// <summary>
/// A token matched verbatim in the raw text before normalization (for example <c>[SEP]</c> or <c>&lt;mask&gt;</c>).
/// <paramref name="StripLeft"/>/<paramref name="StripRight"/> swallow the white space beside it, as Hugging Face's
/// <c>lstrip</c>/<c>rstrip</c> do.
/// </summary>
internal sealed record SpecialToken(string Content, int Id, bool StripLeft = false, bool StripRight = false);
