using System.Text;

namespace Microsoft.ML.Peft.Checkpoints;

/// <summary>
/// Writes JSON the way the reference safetensors writer (Rust serde_json, compact) does: no whitespace, and strings
/// escaped only where JSON requires it (quote, backslash, control characters, with lowercase <c>\u00xx</c>).
/// System.Text.Json escapes more (non-ASCII, '+', '&lt;' ...), which would change the bytes.
/// </summary>
internal sealed class CompactJson
{
    private readonly StringBuilder _text = new();

    public CompactJson Raw(char c)
    {
        _text.Append(c);
        return this;
    }

    public CompactJson Number(long value)
    {
        _text.Append(value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return this;
    }

    public CompactJson String(string value)
    {
        _text.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': _text.Append("\\\""); break;
                case '\\': _text.Append("\\\\"); break;
                case '\b': _text.Append("\\b"); break;
                case '\f': _text.Append("\\f"); break;
                case '\n': _text.Append("\\n"); break;
                case '\r': _text.Append("\\r"); break;
                case '\t': _text.Append("\\t"); break;
                case < ' ': _text.Append("\\u00").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture)); break;
                default: _text.Append(c); break;
            }
        }

        _text.Append('"');
        return this;
    }

    /// <summary>The JSON text as strict UTF-8.</summary>
    public byte[] ToUtf8() => new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetBytes(_text.ToString());

    public override string ToString() => _text.ToString();
}
