namespace Microsoft.ML.Peft.Text;

/// <summary>
/// Writes a tokenizer to a binary stream and reads it back exactly (vocabulary, merges, options and added special
/// tokens), so a saved model carries its tokenizer and needs no files beside it. Layout version 1:
/// <c>kind (byte: 1 = BERT WordPiece, 2 = RoBERTa byte-level BPE)</c> then the kind's fields.
/// </summary>
internal static class TokenizerPersistence
{
    private const byte LayoutVersion = 1;
    private const byte BertKind = 1;
    private const byte RobertaKind = 2;

    /// <summary>Writes <paramref name="tokenizer"/>; only tokenizers built by this library can be written.</summary>
    public static void Write(BinaryWriter writer, TextTokenizer tokenizer)
    {
        writer.Write(LayoutVersion);
        switch (tokenizer)
        {
            case BertTextTokenizer bert:
                writer.Write(BertKind);
                WriteBert(writer, bert.Definition);
                break;
            case RobertaTextTokenizer roberta:
                writer.Write(RobertaKind);
                WriteRoberta(writer, roberta.Definition);
                break;
            default:
                throw new NotSupportedException($"Tokenizer type {tokenizer.GetType().FullName} cannot be saved into a model.");
        }
    }

    /// <summary>Reads a tokenizer written by <see cref="Write"/>; <paramref name="sourceName"/> names the stream in errors.</summary>
    public static TextTokenizer Read(BinaryReader reader, string sourceName)
    {
        byte version = reader.ReadByte();
        if (version != LayoutVersion)
        {
            throw new InvalidDataException($"{sourceName}: tokenizer layout version {version} is not supported (expected {LayoutVersion}).");
        }

        byte kind = reader.ReadByte();
        return kind switch
        {
            BertKind => BertTextTokenizer.FromDefinition(ReadBert(reader), sourceName),
            RobertaKind => RobertaTextTokenizer.FromDefinition(ReadRoberta(reader), sourceName),
            _ => throw new InvalidDataException($"{sourceName}: unknown tokenizer kind {kind}."),
        };
    }

    private static void WriteBert(BinaryWriter writer, BertTokenizerDefinition definition)
    {
        BertTokenizerOptions o = definition.Options;
        writer.Write(o.LowerCase);
        WriteNullableBool(writer, o.StripAccents);
        writer.Write(o.CleanText);
        writer.Write(o.HandleChineseCharacters);
        writer.Write(o.MaxLength);
        writer.Write(o.UnknownToken);
        writer.Write(o.ClassificationToken);
        writer.Write(o.SeparatorToken);
        writer.Write(o.PaddingToken);
        writer.Write(o.MaskToken);
        writer.Write(o.ContinuingSubwordPrefix);
        writer.Write(o.MaxInputCharsPerWord);
        writer.Write(o.SplitSpecialTokens);
        writer.Write(definition.Vocabulary.Length);
        foreach (string? token in definition.Vocabulary)
        {
            writer.Write(token is not null);
            if (token is not null)
            {
                writer.Write(token);
            }
        }

        WriteSpecialTokens(writer, definition.AddedTokens);
    }

    private static BertTokenizerDefinition ReadBert(BinaryReader reader)
    {
        var o = new BertTokenizerOptions
        {
            LowerCase = reader.ReadBoolean(),
            StripAccents = ReadNullableBool(reader),
            CleanText = reader.ReadBoolean(),
            HandleChineseCharacters = reader.ReadBoolean(),
            MaxLength = reader.ReadInt32(),
            UnknownToken = reader.ReadString(),
            ClassificationToken = reader.ReadString(),
            SeparatorToken = reader.ReadString(),
            PaddingToken = reader.ReadString(),
            MaskToken = reader.ReadString(),
            ContinuingSubwordPrefix = reader.ReadString(),
            MaxInputCharsPerWord = reader.ReadInt32(),
            SplitSpecialTokens = reader.ReadBoolean(),
        };
        var vocabulary = new string?[ReadCount(reader)];
        for (int i = 0; i < vocabulary.Length; i++)
        {
            vocabulary[i] = reader.ReadBoolean() ? reader.ReadString() : null;
        }

        return new BertTokenizerDefinition(vocabulary, o, ReadSpecialTokens(reader));
    }

    private static void WriteRoberta(BinaryWriter writer, RobertaTokenizerDefinition definition)
    {
        RobertaTokenizerOptions o = definition.Options;
        writer.Write(o.AddPrefixSpace);
        writer.Write(o.MaxLength);
        writer.Write(o.BeginningOfSentenceToken);
        writer.Write(o.EndOfSentenceToken);
        writer.Write(o.PaddingToken);
        writer.Write(o.UnknownToken);
        writer.Write(o.MaskToken);
        writer.Write(o.SplitSpecialTokens);
        writer.Write(definition.Vocabulary.Count);
        foreach ((string token, int id) in definition.Vocabulary.OrderBy(kv => kv.Value))
        {
            writer.Write(token);
            writer.Write(id);
        }

        writer.Write(definition.Merges.Length);
        foreach (string merge in definition.Merges)
        {
            writer.Write(merge);
        }

        WriteSpecialTokens(writer, definition.AddedTokens);
    }

    private static RobertaTokenizerDefinition ReadRoberta(BinaryReader reader)
    {
        var o = new RobertaTokenizerOptions
        {
            AddPrefixSpace = reader.ReadBoolean(),
            MaxLength = reader.ReadInt32(),
            BeginningOfSentenceToken = reader.ReadString(),
            EndOfSentenceToken = reader.ReadString(),
            PaddingToken = reader.ReadString(),
            UnknownToken = reader.ReadString(),
            MaskToken = reader.ReadString(),
            SplitSpecialTokens = reader.ReadBoolean(),
        };
        int count = ReadCount(reader);
        var vocabulary = new Dictionary<string, int>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            string token = reader.ReadString();
            vocabulary[token] = reader.ReadInt32();
        }

        var merges = new string[ReadCount(reader)];
        for (int i = 0; i < merges.Length; i++)
        {
            merges[i] = reader.ReadString();
        }

        return new RobertaTokenizerDefinition(vocabulary, merges, o, ReadSpecialTokens(reader));
    }

    private static void WriteSpecialTokens(BinaryWriter writer, IReadOnlyList<SpecialToken> tokens)
    {
        writer.Write(tokens.Count);
        foreach (SpecialToken token in tokens)
        {
            writer.Write(token.Content);
            writer.Write(token.Id);
            writer.Write(token.StripLeft);
            writer.Write(token.StripRight);
        }
    }

    private static SpecialToken[] ReadSpecialTokens(BinaryReader reader)
    {
        var tokens = new SpecialToken[ReadCount(reader)];
        for (int i = 0; i < tokens.Length; i++)
        {
            tokens[i] = new SpecialToken(reader.ReadString(), reader.ReadInt32(), reader.ReadBoolean(), reader.ReadBoolean());
        }

        return tokens;
    }

    private static void WriteNullableBool(BinaryWriter writer, bool? value) => writer.Write((byte)(value is null ? 2 : value.Value ? 1 : 0));

    private static bool? ReadNullableBool(BinaryReader reader) => reader.ReadByte() switch
    {
        0 => false,
        1 => true,
        2 => null,
        byte other => throw new InvalidDataException($"Invalid optional boolean {other} in a saved tokenizer."),
    };

    private static int ReadCount(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        return count is >= 0 and <= 10_000_000
            ? count
            : throw new InvalidDataException($"Invalid element count {count} in a saved tokenizer.");
    }
}
