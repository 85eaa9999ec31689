using Microsoft.ML.Peft.Text;

namespace Microsoft.ML.Peft.Tests.Text;

public sealed class BertTextTokenizerTests
{
    [SkippableFact]
    public void SpecialTokenIdsComeFromTheVocabulary()
    {
        BertTextTokenizer tokenizer = BertVocabulary.Uncased();
        Assert.Equal(101, tokenizer.ClassificationTokenId);
        Assert.Equal(102, tokenizer.SeparatorTokenId);
        Assert.Equal(0, tokenizer.PaddingTokenId);
        Assert.Equal(100, tokenizer.UnknownTokenId);
        Assert.Equal(103, tokenizer.MaskTokenId);
        Assert.Equal(30522, tokenizer.VocabularySize);
        Assert.Equal(512, tokenizer.MaxLength);
        Assert.True(tokenizer.UsesTokenTypeIds);
    }

    [SkippableFact]
    public void EncodesHelloWorld()
    {
        TokenizedText encoded = BertVocabulary.Uncased().Encode("Hello, world!");
        Assert.Equal(new[] { 101, 7592, 1010, 2088, 999, 102 }, encoded.InputIds);
        Assert.Equal(new int[6], encoded.TokenTypeIds);
    }

    [SkippableFact]
    public void EncodesTheQuickBrownFoxWithIdsFromTheVocabFile()
    {
        string[] words = ["the", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog", "."];
        int[] expected = [101, .. words.Select(BertVocabulary.IdOf), 102];
        Assert.Equal([101, 1996, 4248, 2829, 4419, 14523, 2058, 1996, 13971, 3899, 1012, 102], expected);

        Assert.Equal(expected, BertVocabulary.Uncased().Encode("The quick brown fox jumps over the lazy dog.").InputIds);
    }

    [SkippableFact]
    public void SplitsUnknownWordsIntoWordPieces()
    {
        BertTextTokenizer tokenizer = BertVocabulary.Uncased();
        Assert.Equal(new[] { "una", "##ffa", "##ble" }, tokenizer.Tokenize("unaffable"));
        Assert.Equal(new[] { 14477, 20961, 3468 }, tokenizer.EncodeToIds("unaffable"));
    }

    [SkippableFact]
    public void LowerCasesAndStripsAccentsByDefault()
    {
        BertTextTokenizer tokenizer = BertVocabulary.Uncased();
        Assert.Equal(new[] { 7668 }, tokenizer.EncodeToIds("Café"));
        Assert.Equal(tokenizer.EncodeToIds("cafe naive"), tokenizer.EncodeToIds("CAFÉ naïve"));
    }

    [SkippableFact]
    public void KeepsAccentsWhenStripAccentsIsOff()
    {
        var tokenizer = BertTextTokenizer.FromVocabFile(BertVocabulary.VocabPath, new BertTokenizerOptions { StripAccents = false });
        // "café" is not in the vocabulary and "##é" is not either, so the whole word is unknown.
        Assert.Equal(new[] { 100 }, tokenizer.EncodeToIds("Café"));
        Assert.Equal(new[] { 7668 }, tokenizer.EncodeToIds("Cafe"));
    }

    [SkippableFact]
    public void WithoutLowerCasingUpperCaseWordsAreUnknownToTheUncasedVocabulary()
    {
        var tokenizer = BertTextTokenizer.FromVocabFile(BertVocabulary.VocabPath, new BertTokenizerOptions { LowerCase = false });
        Assert.Equal(new[] { 100, 2088 }, tokenizer.EncodeToIds("Hello world"));
        // Accent stripping follows lower-casing when not set: "café" keeps its accent and is unknown.
        Assert.Equal(new[] { 100 }, tokenizer.EncodeToIds("café"));
    }

    [SkippableFact]
    public void UnknownCharactersBecomeUnk()
    {
        BertTextTokenizer tokenizer = BertVocabulary.Uncased();
        Assert.Equal(new[] { 101, 7592, 100, 102 }, tokenizer.Encode("hello ☃").InputIds);
        // An emoji is a word of its own (not dropped) and unknown.
        Assert.Equal(new[] { 100, 2088 }, tokenizer.EncodeToIds("😀 world"));
    }

    [SkippableFact]
    public void SplitsEveryAsciiSymbolAsPunctuation()
    {
        // '$', '+' and '^' are punctuation for BERT even though Unicode calls them symbols; '©' is not and stays a word.
        Assert.Equal(new[] { 1002, 1019, 1037, 1009, 1038, 1034, 1075 }, BertVocabulary.Uncased().EncodeToIds("$5 a+b ^ ©"));
    }

    [SkippableFact]
    public void CleansControlAndZeroWidthCharactersAndMapsWhiteSpace()
    {
        BertTextTokenizer tokenizer = BertVocabulary.Uncased();
        int[] ab = [11113];
        Assert.Equal(ab, tokenizer.EncodeToIds("a\u0085b"));
        Assert.Equal(ab, tokenizer.EncodeToIds("a\u200Bb"));
        Assert.Equal(ab, tokenizer.EncodeToIds("a\u0000b"));
        Assert.Equal(new[] { 1037, 1038 }, tokenizer.EncodeToIds("a\u00A0b"));
        Assert.Equal(new[] { 1037, 1038 }, tokenizer.EncodeToIds("a\t\r\nb"));
    }

    [SkippableFact]
    public void SpacesOutChineseCharacters()
    {
        Assert.Equal(new[] { 1746, 1799, 1756 }, BertVocabulary.Uncased().EncodeToIds("中国人"));
        var withoutCjk = BertTextTokenizer.FromVocabFile(BertVocabulary.VocabPath, new BertTokenizerOptions { HandleChineseCharacters = false });
        Assert.NotEqual(new[] { 1746, 1799, 1756 }, withoutCjk.EncodeToIds("中国人"));
    }

    [SkippableFact]
    public void MatchesSpecialTokensInTheTextVerbatim()
    {
        BertTextTokenizer tokenizer = BertVocabulary.Uncased();
        Assert.Equal(new[] { 7592, 102, 2088, 103 }, tokenizer.EncodeToIds("hello [SEP] world[MASK]"));
        // Lower-case "[sep]" is ordinary text.
        Assert.DoesNotContain(102, tokenizer.EncodeToIds("hello [sep]"));

        var literal = BertTextTokenizer.FromVocabFile(BertVocabulary.VocabPath, new BertTokenizerOptions { SplitSpecialTokens = false });
        Assert.DoesNotContain(102, literal.EncodeToIds("hello [SEP]"));
    }

    [SkippableFact]
    public void EncodesPairsWithTokenTypes()
    {
        TokenizedText encoded = BertVocabulary.Uncased().Encode("Hello, world!", "The lazy dog.");
        Assert.Equal(new[] { 101, 7592, 1010, 2088, 999, 102, 1996, 13971, 3899, 1012, 102 }, encoded.InputIds);
        Assert.Equal(new[] { 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1 }, encoded.TokenTypeIds);
        Assert.Equal(3, BertVocabulary.Uncased().NumberOfSpecialTokens(pair: true));
    }

    [SkippableFact]
    public void TruncatesSingleSentencesKeepingTheClosingSeparator()
    {
        TokenizedText encoded = BertVocabulary.Uncased().Encode("The quick brown fox jumps over the lazy dog.", maxLength: 5);
        Assert.Equal(new[] { 101, 1996, 4248, 2829, 102 }, encoded.InputIds);
    }

    [SkippableFact]
    public void TruncatesPairsLongestFirst()
    {
        BertTextTokenizer tokenizer = BertVocabulary.Uncased();
        // 10 and 4 content tokens, budget 12 - 3 = 9: only the longer (first) is cut, to 9 - 4 = 5.
        TokenizedText encoded = tokenizer.Encode("The quick brown fox jumps over the lazy dog.", "hello, world!", maxLength: 12);
        Assert.Equal(new[] { 101, 1996, 4248, 2829, 4419, 14523, 102, 7592, 1010, 2088, 999, 102 }, encoded.InputIds);
        Assert.Equal(new[] { 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1 }, encoded.TokenTypeIds);

        // Budget 10 - 3 = 7: cutting the first to 3 would make it the shorter, so both are cut to about half: 4 and 3.
        encoded = tokenizer.Encode("The quick brown fox jumps over the lazy dog.", "hello, world!", maxLength: 10);
        Assert.Equal(new[] { 101, 1996, 4248, 2829, 4419, 102, 7592, 1010, 2088, 102 }, encoded.InputIds);

        // Budget 8 - 3 = 5 with 10 and 4 tokens: both are cut, the longer (first) keeps the odd token: 3 and 2.
        encoded = tokenizer.Encode("The quick brown fox jumps over the lazy dog.", "hello, world!", maxLength: 8);
        Assert.Equal(new[] { 101, 1996, 4248, 2829, 102, 7592, 1010, 102 }, encoded.InputIds);
    }

    [SkippableFact]
    public void RejectsAMaxLengthWithoutRoomForSpecialTokens()
    {
        BertTextTokenizer tokenizer = BertVocabulary.Uncased();
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Encode("a", "b", maxLength: 2));
        Assert.Equal(new[] { 101, 102, 102 }, tokenizer.Encode("a", "b", maxLength: 3).InputIds);
    }

    [SkippableFact]
    public void BatchesArePaddedToTheLongestRowWithMasks()
    {
        TokenizedBatch batch = BertVocabulary.Uncased().EncodeBatch(["Hello, world!", "the dog", "fox"]);
        Assert.Equal(3, batch.BatchSize);
        Assert.Equal(6, batch.SequenceLength);
        Assert.Equal(new[] { 6, 4, 3 }, batch.Lengths);
        Assert.Equal(
            new long[] { 101, 7592, 1010, 2088, 999, 102, 101, 1996, 3899, 102, 0, 0, 101, 4419, 102, 0, 0, 0 },
            batch.InputIds);
        Assert.Equal(
            new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0 },
            batch.AttentionMask);
        Assert.Equal(new long[18], batch.TokenTypeIds);
        Assert.Equal(new long[] { 101, 1996, 3899, 102, 0, 0 }, batch.GetInputIds(1).ToArray());
    }

    [SkippableFact]
    public void PairBatchesCarryTokenTypesAndPadThemWithZero()
    {
        TokenizedBatch batch = BertVocabulary.Uncased().EncodeBatch(["hello", "the lazy dog"], ["world", "fox"]);
        Assert.Equal(7, batch.SequenceLength);
        Assert.Equal(new long[] { 101, 7592, 102, 2088, 102, 0, 0 }, batch.GetInputIds(0).ToArray());
        Assert.Equal(new long[] { 0, 0, 0, 1, 1, 0, 0 }, batch.GetTokenTypeIds(0).ToArray());
        Assert.Equal(new long[] { 1, 1, 1, 1, 1, 0, 0 }, batch.GetAttentionMask(0).ToArray());
        Assert.Equal(new long[] { 101, 1996, 13971, 3899, 102, 4419, 102 }, batch.GetInputIds(1).ToArray());
        Assert.Equal(new long[] { 0, 0, 0, 0, 0, 1, 1 }, batch.GetTokenTypeIds(1).ToArray());
    }

    [SkippableFact]
    public void BatchBecomesInt64Tensors()
    {
        TokenizedBatch batch = BertVocabulary.Uncased().EncodeBatch(["Hello, world!", "fox"]);
        using TokenizedTensors tensors = batch.ToTensors();
        Assert.Equal(new long[] { 2, 6 }, tensors.InputIds.shape);
        Assert.Equal(TorchSharp.torch.ScalarType.Int64, tensors.InputIds.dtype);
        Assert.Equal(TorchSharp.torch.ScalarType.Int64, tensors.AttentionMask.dtype);
        Assert.Equal(new long[] { 2, 6 }, tensors.TokenTypeIds.shape);
        Assert.Equal(batch.InputIds, tensors.InputIds.data<long>().ToArray());
        Assert.Equal(batch.AttentionMask, tensors.AttentionMask.data<long>().ToArray());
        using var realTokens = tensors.AttentionMask.sum();
        Assert.Equal(6L + 3L, realTokens.item<long>());
    }

    [SkippableFact]
    public void EmptyBatchHasNoRows()
    {
        TokenizedBatch batch = BertVocabulary.Uncased().EncodeBatch([]);
        Assert.Equal((0, 0), (batch.BatchSize, batch.SequenceLength));
        using TokenizedTensors tensors = batch.ToTensors();
        Assert.Equal(new long[] { 0, 0 }, tensors.InputIds.shape);
    }

    [SkippableFact]
    public void RejectsMismatchedPairBatches()
    {
        var error = Assert.Throws<ArgumentException>(() => BertVocabulary.Uncased().EncodeBatch(["a", "b"], ["c"]));
        Assert.Contains("2 first, 1 second", error.Message);
    }

    [SkippableFact]
    public void LoadsTheSharedFolderAsAHuggingFaceFolder()
    {
        string folder = Path.GetDirectoryName(BertVocabulary.VocabPath)!;
        BertTextTokenizer tokenizer = BertTextTokenizer.FromPretrained(folder);
        Assert.Equal(new[] { 101, 7592, 1010, 2088, 999, 102 }, tokenizer.Encode("Hello, world!").InputIds);
    }

    [SkippableFact]
    public void TokenizerConfigSetsCaseAccentsAndMaxLength()
    {
        using var folder = new TemporaryFolder();
        File.Copy(BertVocabulary.VocabPath, Path.Combine(folder.Path, "vocab.txt"));
        File.WriteAllText(
            Path.Combine(folder.Path, "tokenizer_config.json"),
            """{"do_lower_case": false, "strip_accents": null, "model_max_length": 8}""");
        BertTextTokenizer tokenizer = BertTextTokenizer.FromPretrained(folder.Path);
        Assert.False(tokenizer.Options.LowerCase);
        Assert.Equal(8, tokenizer.MaxLength);
        Assert.Equal(new[] { 100, 2088 }, tokenizer.EncodeToIds("Hello world"));
        Assert.Equal(8, tokenizer.Encode("the quick brown fox jumps over the lazy dog").Length);
    }

    [SkippableFact]
    public void HuggingFaceNoLimitSentinelFallsBackToTheDefaultMaxLength()
    {
        using var folder = new TemporaryFolder();
        File.Copy(BertVocabulary.VocabPath, Path.Combine(folder.Path, "vocab.txt"));
        File.WriteAllText(
            Path.Combine(folder.Path, "tokenizer_config.json"),
            """{"do_lower_case": true, "model_max_length": 1000000000000000019884624838656}""");
        Assert.Equal(512, BertTextTokenizer.FromPretrained(folder.Path).MaxLength);
    }

    [Fact]
    public void MissingSpecialTokenNamesTheFile()
    {
        using var folder = new TemporaryFolder();
        string vocab = Path.Combine(folder.Path, "vocab.txt");
        File.WriteAllLines(vocab, ["[PAD]", "[UNK]", "[SEP]", "hello"]);
        var error = Assert.Throws<TokenizerFileException>(() => BertTextTokenizer.FromVocabFile(vocab));
        Assert.Equal(vocab, error.FilePath);
        Assert.Contains("'[CLS]'", error.Message);
    }

    [Fact]
    public void MissingVocabularyFileIsReported()
    {
        var error = Assert.Throws<TokenizerFileException>(() => BertTextTokenizer.FromVocabFile("/no/such/vocab.txt"));
        Assert.Contains("/no/such/vocab.txt", error.Message);
        Assert.Throws<DirectoryNotFoundException>(() => BertTextTokenizer.FromPretrained("/no/such/folder"));
    }

    [Fact]
    public void WorksOnASmallHandWrittenVocabulary()
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes("[PAD]\n[UNK]\n[CLS]\n[SEP]\nplay\n##ing\n##ed\n!\n"));
        BertTextTokenizer tokenizer = BertTextTokenizer.FromVocab(stream, new BertTokenizerOptions { MaxLength = 16 });
        Assert.Equal(new[] { 2, 4, 5, 4, 6, 7, 3 }, tokenizer.Encode("Playing played!").InputIds);
        Assert.Equal(new[] { "play", "##ing" }, tokenizer.Tokenize("playing"));
        Assert.Null(tokenizer.MaskTokenId);
        Assert.Equal(8, tokenizer.VocabularySize);
    }

    [Fact]
    public void RepeatedVocabularyLineTakesTheIdOfItsLastLineAsHuggingFacesLoadVocab()
    {
        // transformers' load_vocab: vocab[token] = line, so "a" is 8; line 5 keeps its id but maps to no token.
        BertTextTokenizer tokenizer = FromLines("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "##b", "a");
        Assert.Equal(new[] { 8 }, tokenizer.EncodeToIds("a"));
        Assert.Equal(new[] { 8, 7 }, tokenizer.EncodeToIds("ab"));
        Assert.Equal(new[] { 6 }, tokenizer.EncodeToIds("b"));
        Assert.Equal("a", tokenizer.MapIdToToken(8));
        Assert.Null(tokenizer.MapIdToToken(5));
        Assert.Equal(9, tokenizer.VocabularySize);
    }

    [Fact]
    public void RepeatedSpecialTokenLineTakesTheIdOfItsLastLine()
    {
        BertTextTokenizer tokenizer = FromLines("[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "[UNK]");
        Assert.Equal(5, tokenizer.UnknownTokenId);
        Assert.Equal(new[] { 2, 4, 5, 3 }, tokenizer.Encode("a z").InputIds);
    }

    [Fact]
    public void WordLengthLimitCountsCharactersNotUtf16Units()
    {
        // 60 emoji are 60 characters (under the limit of 100) but 120 UTF-16 units; Hugging Face WordPieces them.
        string emoji = "\U0001F600";
        BertTextTokenizer tokenizer = FromLines("[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", emoji, "##" + emoji);
        Assert.Equal([5, .. Enumerable.Repeat(6, 59)], tokenizer.EncodeToIds(string.Concat(Enumerable.Repeat(emoji, 60))));
        Assert.Equal([5, .. Enumerable.Repeat(6, 99)], tokenizer.EncodeToIds(string.Concat(Enumerable.Repeat(emoji, 100))));
        Assert.Equal(new[] { 1 }, tokenizer.EncodeToIds(string.Concat(Enumerable.Repeat(emoji, 101))));
        Assert.Equal(new[] { 1, 4 }, tokenizer.EncodeToIds(new string('a', 101) + " a"));
    }

    [Fact]
    public void WordLengthLimitIsTheOptionsOne()
    {
        string emoji = "\U0001F600";
        BertTextTokenizer tokenizer = FromLines(new BertTokenizerOptions { MaxInputCharsPerWord = 3 }, "[PAD]", "[UNK]", "[CLS]", "[SEP]", emoji, "##" + emoji);
        Assert.Equal(new[] { 4, 5, 5 }, tokenizer.EncodeToIds(emoji + emoji + emoji));
        Assert.Equal(new[] { 1 }, tokenizer.EncodeToIds(emoji + emoji + emoji + emoji));
    }

    private static BertTextTokenizer FromLines(params string[] lines) => FromLines(null, lines);

    private static BertTextTokenizer FromLines(BertTokenizerOptions? options, params string[] lines) =>
        BertTextTokenizer.FromVocab(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n")), options);
}
