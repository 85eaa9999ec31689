namespace Microsoft.ML.Peft.Text;

/// <summary>
/// Writes a tokenizer to a binary stream and reads it back exactly (vocabulary, merges, options and added special
/// tokens), so a saved model carries its tokenizer and needs no files beside it. Layout:
/// <c>version (byte), kind (byte: 1 = BERT WordPiece, 2 = RoBERTa byte-level BPE)</c> then the kind's fields.
/// Version 2 adds each added token's <c>normalized</c> and <c>single_word</c>; a tokenizer that uses neither is
/// still written as version 1, so that older readers keep loading it.
/// </summary>
internal static class TokenizerPersistence
{
    private const byte FirstLayoutVersion = 1;
    private const byte AddedTokenMatchingLayoutVersion = 2;
    private const byte BertKind = 1;
    private const byte RobertaKind = 2;

    /// <summary>Writes <paramref name="tokenizer"/>; only tokenizers built by this library can be written.</summary>
    public static void Write(BinaryWriter writer, TextTokenizer tokenizer)
    {
        switch (tokenizer)
        {
            case BertTextTokenizer bert:
                byte bertVersion = VersionFor(bert.Definition.AddedTokens);
                writer.Write(bertVersion);
                writer.Write(BertKind);
                WriteBert(writer, bert.Definition, bertVersion);
                break;
            case RobertaTextTokenizer roberta:
                byte robertaVersion = VersionFor(roberta.Definition.AddedTokens);
                writer.Write(robertaVersion);
                writer.Write(RobertaKind);
                WriteRoberta(writer, roberta.Definition, robertaVersion);
                break;
            default:
                throw new NotSupportedException($"Tokenizer type {tokenizer.GetType().FullName} cannot be saved into a model.");
        }
    }

    /// <summary>Reads a tokenizer written by <see cref="Write"/>; <paramref name="sourceName"/> names the stream in errors.</summary>
    public static TextTokenizer Read(BinaryReader reader, string sourceName)
    {
        byte version = reader.ReadByte();
        if (version is not (FirstLayoutVersion or AddedTokenMatchingLayoutVersion))
        {
            throw new InvalidDataException(
                $"{sourceName}: tokenizer layout version {version} is not supported (expected {FirstLayoutVersion} to {AddedTokenMatchingLayoutVersion}).");
        }

        byte kind = reader.ReadByte();
        return kind switch
        {
            BertKind => BertTextTokenizer.FromDefinition(ReadBert(reader, version), sourceName),
            RobertaKind => RobertaTextTokenizer.FromDefinition(ReadRoberta(reader, version), sourceName),
            _ => throw new InvalidDataException($"{sourceName}: unknown tokenizer kind {kind}."),
        };
    }

    // Version 1 files predate normalized/single_word; their tokens were, and stay, matched verbatim.
    private static byte VersionFor(IReadOnlyList<SpecialToken> addedTokens) =>
        addedTokens.Any(t => t.Normalized || t.SingleWord) ? AddedTokenMatchingLayoutVersion : FirstLayoutVersion;

    private static void WriteBert(BinaryWriter writer, BertTokenizerDefinition definition, byte version)
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

        WriteSpecialTokens(writer, definition.AddedTokens, version);
    }

    private static BertTokenizerDefinition ReadBert(BinaryReader reader, byte version)
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

        return new BertTokenizerDefinition(vocabulary, o, ReadSpecialTokens(reader, version));
    }

    private static void WriteRoberta(BinaryWriter writer, RobertaTokenizerDefinition definition, byte version)
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

        WriteSpecialTokens(writer, definition.AddedTokens, version);
    }

    private static RobertaTokenizerDefinition ReadRoberta(BinaryReader reader, byte version)
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

        return new RobertaTokenizerDefinition(vocabulary, merges, o, ReadSpecialTokens(reader, version));
    }

    private static void WriteSpecialTokens(BinaryWriter writer, IReadOnlyList<SpecialToken> tokens, byte version)
    {
        writer.Write(tokens.Count);
        foreach (SpecialToken token in tokens)
        {
            writer.Write(token.Content);
            writer.Write(token.Id);
            writer.Write(token.StripLeft);
            writer.Write(token.StripRight);
            if (version >= AddedTokenMatchingLayoutVersion)
            {
                writer.Write(token.Normalized);
                writer.Write(token.SingleWord);
            }
        }
    }

    private static SpecialToken[] ReadSpecialTokens(BinaryReader reader, byte version)
    {
        var tokens = new SpecialToken[ReadCount(reader)];
        for (int i = 0; i < tokens.Length; i++)
        {
            string content = reader.ReadString();
            int id = reader.ReadInt32();
            bool stripLeft = reader.ReadBoolean();
            bool stripRight = reader.ReadBoolean();
            bool normalized = version >= AddedTokenMatchingLayoutVersion && reader.ReadBoolean();
            bool singleWord = version >= AddedTokenMatchingLayoutVersion && reader.ReadBoolean();
            tokens[i] = new SpecialToken(content, id, stripLeft, stripRight, normalized, singleWord);
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
