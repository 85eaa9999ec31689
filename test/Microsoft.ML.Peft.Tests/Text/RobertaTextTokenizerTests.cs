using System.Text;
using Microsoft.ML.Peft.Text;

namespace Microsoft.ML.Peft.Tests.Text;

public sealed class RobertaTextTokenizerTests
{
    private static readonly ByteLevelTestVocabulary Vocab = new();

    private static RobertaTextTokenizer Create(RobertaTokenizerOptions? options = null) =>
        RobertaTextTokenizer.FromStreams(Vocab.VocabStream(), ByteLevelTestVocabulary.MergesStream(), options);

    [Fact]
    public void ByteCharacterTableIsGpt2s()
    {
        Assert.Equal('Ġ', ByteLevelTestVocabulary.ByteCharacter(' '));
        Assert.Equal('Ċ', ByteLevelTestVocabulary.ByteCharacter('\n'));
        Assert.Equal('Ā', ByteLevelTestVocabulary.ByteCharacter(0));
        Assert.Equal('Ã', ByteLevelTestVocabulary.ByteCharacter(0xC3));
    }

    [Fact]
    public void SpecialTokenIdsComeFromTheVocabulary()
    {
        RobertaTextTokenizer tokenizer = Create();
        Assert.Equal(0, tokenizer.BeginningOfSentenceTokenId);
        Assert.Equal(1, tokenizer.PaddingTokenId);
        Assert.Equal(2, tokenizer.EndOfSentenceTokenId);
        Assert.Equal(3, tokenizer.UnknownTokenId);
        Assert.Equal(Vocab["<mask>"], tokenizer.MaskTokenId);
        Assert.Equal(Vocab.Ids.Count, tokenizer.VocabularySize);
        Assert.False(tokenizer.UsesTokenTypeIds);
    }

    [Fact]
    public void EncodesHelloWorldWithTheSpaceAsPartOfTheSecondWord()
    {
        RobertaTextTokenizer tokenizer = Create();
        Assert.Equal(new[] { "Hello", "Ġworld" }, tokenizer.Tokenize("Hello world"));
        Assert.Equal(new[] { 0, Vocab["Hello"], Vocab["Ġworld"], 2 }, tokenizer.Encode("Hello world").InputIds);
    }

    [Fact]
    public void MapsBytesToGpt2Characters()
    {
        RobertaTextTokenizer tokenizer = Create();
        // é is C3 A9 in UTF-8, merged to "Ã©"; an emoji is four bytes with no merges; a new line is 'Ċ'.
        Assert.Equal(new[] { "c", "a", "f", "Ã©" }, tokenizer.Tokenize("café"));
        Assert.Equal(new[] { "ð", "Ł", "ĺ", "Ģ" }, tokenizer.Tokenize("\U0001F600"));
        Assert.Equal(new[] { "Hello", "Ċ", "Ċ", "H", "i" }, tokenizer.Tokenize("Hello\n\nHi"));
        // Two spaces: the first stands alone, the second goes with the next word.
        Assert.Equal(new[] { "Hello", "Ġ", "Ġworld" }, tokenizer.Tokenize("Hello  world"));
    }

    [Fact]
    public void AppliesMergesByRankNotLeftToRight()
    {
        // "o l" is ranked above "l o": l·o·l·o → l·ol·o, never lo·lo.
        Assert.Equal(new[] { "l", "ol", "o" }, Create().Tokenize("lolo"));
    }

    [Fact]
    public void EncodesPairsWithDoubleSeparatorsAndNoTokenTypes()
    {
        TokenizedText encoded = Create().Encode("Hello", "world");
        int[] world = [Vocab["w"], Vocab["or"], Vocab["l"], Vocab["d"]];
        Assert.Equal([0, Vocab["Hello"], 2, 2, .. world, 2], encoded.InputIds);
        Assert.All(encoded.TokenTypeIds, type => Assert.Equal(0, type));
        Assert.Equal(4, Create().NumberOfSpecialTokens(pair: true));
    }

    [Fact]
    public void AddPrefixSpaceEncodesTheFirstWordLikeTheOthers()
    {
        RobertaTextTokenizer tokenizer = Create(new RobertaTokenizerOptions { AddPrefixSpace = true });
        Assert.Equal(new[] { "Ġworld" }, tokenizer.Tokenize("world"));
        Assert.Equal(new[] { "Ġworld" }, tokenizer.Tokenize(" world"));
    }

    [Fact]
    public void AddPrefixSpaceCountsOnlyASpaceAsOneAlreadyThere()
    {
        // The fast tokenizer's ByteLevel pre-tokenizer adds the space unless the text starts with ' ' itself.
        RobertaTextTokenizer tokenizer = Create(new RobertaTokenizerOptions { AddPrefixSpace = true });
        Assert.Equal(new[] { "Ġ", "Ċ", "w", "or", "l", "d" }, tokenizer.Tokenize("\nworld"));
        Assert.Equal(new[] { "Ġ", "ĉ", "w", "or", "l", "d" }, tokenizer.Tokenize("\tworld"));
        Assert.Equal(new[] { "Ġ", "Ġworld" }, tokenizer.Tokenize("  world"));
    }

    [Fact]
    public void BatchesArePaddedWithThePadId()
    {
        TokenizedBatch batch = Create().EncodeBatch(["Hello world", "Hello"]);
        Assert.Equal(4, batch.SequenceLength);
        Assert.Equal(new long[] { 0, Vocab["Hello"], Vocab["Ġworld"], 2, 0, Vocab["Hello"], 2, 1 }, batch.InputIds);
        Assert.Equal(new long[] { 1, 1, 1, 1, 1, 1, 1, 0 }, batch.AttentionMask);
        Assert.Equal(new long[8], batch.TokenTypeIds);
        using TokenizedTensors tensors = batch.ToTensors();
        Assert.Equal(new long[] { 2, 4 }, tensors.InputIds.shape);
        Assert.Equal(batch.InputIds, tensors.InputIds.data<long>().ToArray());
    }

    [Fact]
    public void TruncatesLikeBert()
    {
        RobertaTextTokenizer tokenizer = Create();
        Assert.Equal(new[] { 0, Vocab["c"], Vocab["a"], 2 }, tokenizer.Encode("café", maxLength: 4).InputIds);
        // Pair budget 8 - 4 = 4 with 4 ("c a f Ã©") and 1 ("Hello") tokens: the longer keeps 3.
        Assert.Equal(new[] { 0, Vocab["c"], Vocab["a"], Vocab["f"], 2, 2, Vocab["Hello"], 2 }, tokenizer.Encode("café", "Hello", maxLength: 8).InputIds);
    }

    [Fact]
    public void MatchesSpecialTokensAndTheMaskSwallowsTheSpaceBeforeIt()
    {
        RobertaTextTokenizer tokenizer = Create();
        Assert.Equal(new[] { Vocab["Hello"], Vocab["<mask>"] }, tokenizer.EncodeToIds("Hello <mask>"));
        Assert.Equal(new[] { Vocab["Hello"], 2, Vocab["Hello"] }, tokenizer.EncodeToIds("Hello</s>Hello"));
    }

    [Fact]
    public void ReadsSpecialTokenIdsWhereverTheVocabularyPutsThem()
    {
        var vocab = new ByteLevelTestVocabulary(["<unk>", "</s>", "<s>", "<pad>"]);
        RobertaTextTokenizer tokenizer = RobertaTextTokenizer.FromStreams(vocab.VocabStream(), ByteLevelTestVocabulary.MergesStream());
        Assert.Equal((2, 1, 3, 0), (tokenizer.BeginningOfSentenceTokenId, tokenizer.EndOfSentenceTokenId, tokenizer.PaddingTokenId, tokenizer.UnknownTokenId!.Value));
        Assert.Equal(new[] { 2, vocab["Hello"], 1 }, tokenizer.Encode("Hello").InputIds);
    }

    [Fact]
    public void FilesAndHuggingFaceFolderAndTokenizerJsonAgree()
    {
        using var folder = new TemporaryFolder();
        File.WriteAllText(Path.Combine(folder.Path, "vocab.json"), Vocab.VocabJson);
        File.WriteAllText(Path.Combine(folder.Path, "merges.txt"), ByteLevelTestVocabulary.MergesText);
        File.WriteAllText(Path.Combine(folder.Path, "tokenizer_config.json"), """{"model_max_length": 6, "add_prefix_space": false}""");
        RobertaTextTokenizer fromFiles = RobertaTextTokenizer.FromFiles(Path.Combine(folder.Path, "vocab.json"), Path.Combine(folder.Path, "merges.txt"));
        RobertaTextTokenizer fromFolder = RobertaTextTokenizer.FromPretrained(folder.Path);
        Assert.Equal(6, fromFolder.MaxLength);

        // Older files write merges as "a b", newer ones as ["a", "b"]: mix both.
        string merges = string.Join(", ", ByteLevelTestVocabulary.Merges.Select(
            (m, i) => i % 2 == 0 ? $"\"{m}\"" : $"[\"{m.Split(' ')[0]}\", \"{m.Split(' ')[1]}\"]"));
        string json = $$$"""
            {"added_tokens": [{"id": {{{Vocab["<mask>"]}}}, "content": "<mask>", "lstrip": true, "rstrip": false, "special": true}],
             "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
             "model": {"type": "BPE", "vocab": {{{Vocab.VocabJson}}}, "merges": [{{{merges}}}]}}
            """;
        string jsonPath = Path.Combine(folder.Path, "tokenizer.json");
        File.WriteAllText(jsonPath, json);
        RobertaTextTokenizer fromJson = RobertaTextTokenizer.FromTokenizerJson(jsonPath);

        foreach (string text in new[] { "Hello world", "café \U0001F600 lolo", "Hello <mask>" })
        {
            Assert.Equal(fromFiles.Encode(text).InputIds, fromJson.Encode(text).InputIds);
        }

        Assert.Equal(fromFiles.Encode("Hello world", maxLength: 6).InputIds, fromFolder.Encode("Hello world").InputIds);
    }

    [Fact]
    public void AddedTokenBeyondTheVocabularyMapsBackToItsText()
    {
        using var folder = new TemporaryFolder();
        int newId = Vocab.VocabJson.Length; // far beyond every id in vocab.json
        string merges = string.Join(", ", ByteLevelTestVocabulary.Merges.Select(m => $"\"{m}\""));
        string json = $$$"""
            {"added_tokens": [{"id": {{{newId}}}, "content": "<extra>", "lstrip": false, "rstrip": false, "special": true}],
             "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
             "model": {"type": "BPE", "vocab": {{{Vocab.VocabJson}}}, "merges": [{{{merges}}}]}}
            """;
        string jsonPath = Path.Combine(folder.Path, "tokenizer.json");
        File.WriteAllText(jsonPath, json);

        RobertaTextTokenizer tokenizer = RobertaTextTokenizer.FromTokenizerJson(jsonPath);

        Assert.Contains(newId, tokenizer.Encode("Hello <extra>").InputIds);
        Assert.Equal("<extra>", tokenizer.MapIdToToken(newId));
        Assert.Contains("<extra>", tokenizer.Tokenize("Hello <extra>"));
    }

    [Fact]
    public void MissingPaddingTokenIsReported()
    {
        var vocab = new ByteLevelTestVocabulary(["<s>", "</s>"]);
        var error = Assert.Throws<TokenizerFileException>(
            () => RobertaTextTokenizer.FromStreams(vocab.VocabStream(), ByteLevelTestVocabulary.MergesStream(), sourceName: "test vocab"));
        Assert.Equal("test vocab", error.FilePath);
        Assert.Contains("'<pad>'", error.Message);
    }

    [Fact]
    public void MergesThatDoNotFitTheVocabularyAreReported()
    {
        using var merges = new MemoryStream(Encoding.UTF8.GetBytes("#version: 0.2\nx y\n"));
        var error = Assert.Throws<TokenizerFileException>(() => RobertaTextTokenizer.FromStreams(Vocab.VocabStream(), merges));
        Assert.Contains("do not fit", error.Message);
    }

    [Fact]
    public void MalformedMergesLineIsReportedWithItsNumber()
    {
        using var merges = new MemoryStream(Encoding.UTF8.GetBytes("#version: 0.2\nH e\nHe l l\n"));
        var error = Assert.Throws<TokenizerFileException>(() => RobertaTextTokenizer.FromStreams(Vocab.VocabStream(), merges));
        Assert.Contains("line 3", error.Message);
    }
}
