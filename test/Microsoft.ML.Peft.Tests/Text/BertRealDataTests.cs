using System.Text.Json;
using Microsoft.ML.Peft.Tests.Infrastructure;
using Microsoft.ML.Peft.Text;

namespace Microsoft.ML.Peft.Tests.Text;

/// <summary>The BERT tokenizer on the real sentiment sentences and the real tokenizer.json fixture from the shared data.</summary>
public sealed class BertRealDataTests
{
    [SkippableFact]
    public void TokenizesEveryImdbSentenceIncludingTheOnesWithNextLineCharacters()
    {
        string[] sentences = ReadSentences("imdb_labelled.txt");
        Assert.Equal(1000, sentences.Length);
        BertTextTokenizer tokenizer = BertVocabulary.Uncased();

        TokenizedBatch batch = tokenizer.EncodeBatch(sentences);
        Assert.Equal(1000, batch.BatchSize);
        Assert.All(batch.Lengths, length => Assert.InRange(length, 3, 512));
        Assert.All(batch.InputIds, id => Assert.InRange(id, 0, tokenizer.VocabularySize - 1));

        // U+0085 (NEL) is a control character for BERT: it is dropped, joining "is" and "was" into one word.
        string[] withNextLine = sentences.Where(s => s.Contains('\u0085')).ToArray();
        Assert.Equal(2, withNextLine.Length);
        Assert.StartsWith("The script is\u0085was there a script?", withNextLine[0]);
        IReadOnlyList<int> ids = tokenizer.EncodeToIds(withNextLine[0]);
        Assert.Equal(tokenizer.EncodeToIds(withNextLine[0].Replace("\u0085", "")), ids);
        Assert.Equal(new[] { "the", "script", "is", "##was", "there", "a", "script", "?" }, tokenizer.Tokenize(withNextLine[0]));
    }

    [SkippableFact]
    public void TokenizesEveryYelpSentenceWithItsAccents()
    {
        string[] sentences = ReadSentences("yelp_labelled.txt");
        Assert.Equal(1000, sentences.Length);
        BertTextTokenizer tokenizer = BertVocabulary.Uncased();
        TokenizedBatch batch = tokenizer.EncodeBatch(sentences, maxLength: 128);
        Assert.All(batch.Lengths, length => Assert.InRange(length, 3, 128));

        string crema = Assert.Single(sentences, s => s.Contains("Crema Café"));
        Assert.Contains("cafe", tokenizer.Tokenize(crema));
    }

    [SkippableFact]
    public void RealTokenizerJsonGivesTheSameIdsAsVocabTxt()
    {
        string path = SharedData.Require("vocab/bert-base-uncased/skeletoken-test-fixture/tokenizer.json");
        BertTextTokenizer fromJson = BertTextTokenizer.FromTokenizerJson(path);
        BertTextTokenizer fromVocab = BertVocabulary.Uncased();

        Assert.True(fromJson.Options.LowerCase);
        Assert.Null(fromJson.Options.StripAccents);
        Assert.Equal(30522, fromJson.VocabularySize);
        Assert.Equal((101, 102, 0, 100), (fromJson.ClassificationTokenId, fromJson.SeparatorTokenId, fromJson.PaddingTokenId, fromJson.UnknownTokenId));

        string[] sentences = [.. ReadSentences("amazon_cells_labelled.txt"), "Café [SEP] 中国人 ☃ $5"];
        TokenizedBatch expected = fromVocab.EncodeBatch(sentences);
        TokenizedBatch actual = fromJson.EncodeBatch(sentences);
        Assert.Equal(expected.InputIds, actual.InputIds);
        Assert.Equal(expected.Lengths, actual.Lengths);
    }

    [SkippableFact]
    public void SmallHandWrittenTokenizerJsonGivesTheSameIdsAsVocabTxt()
    {
        // A subset of the real vocabulary with the real (sparse) ids: the special tokens and the words of the sentences.
        string[] lines = File.ReadAllLines(BertVocabulary.VocabPath);
        string[] words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", ",", "world", "!", "the", "quick", "brown", "fox",
            "jumps", "over", "lazy", "dog", ".", "cafe", "una", "##ffa", "##ble"];
        var vocab = words.ToDictionary(w => w, w => Array.IndexOf(lines, w));
        Assert.DoesNotContain(-1, vocab.Values);
        var json = new Dictionary<string, object?>
        {
            ["version"] = "1.0",
            ["added_tokens"] = new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }
                .Select(t => new { id = vocab[t], content = t, single_word = false, lstrip = false, rstrip = false, normalized = false, special = true }),
            ["normalizer"] = new { type = "BertNormalizer", clean_text = true, handle_chinese_chars = true, strip_accents = (bool?)null, lowercase = true },
            ["pre_tokenizer"] = new { type = "BertPreTokenizer" },
            ["post_processor"] = new { type = "BertProcessing", sep = new object[] { "[SEP]", 102 }, cls = new object[] { "[CLS]", 101 } },
            ["truncation"] = new { max_length = 64 },
            ["model"] = new { type = "WordPiece", unk_token = "[UNK]", continuing_subword_prefix = "##", max_input_chars_per_word = 100, vocab },
        };
        using var folder = new TemporaryFolder();
        string path = Path.Combine(folder.Path, "tokenizer.json");
        File.WriteAllText(path, JsonSerializer.Serialize(json));

        BertTextTokenizer fromJson = BertTextTokenizer.FromTokenizerJson(path);
        BertTextTokenizer fromVocab = BertVocabulary.Uncased();
        Assert.Equal(64, fromJson.MaxLength);
        foreach (string text in new[] { "Hello, world!", "The quick brown fox jumps over the lazy dog.", "CAFÉ unaffable", "hello [SEP] [MASK]" })
        {
            Assert.Equal(fromVocab.Encode(text).InputIds, fromJson.Encode(text).InputIds);
        }

        Assert.Equal(fromVocab.Encode("Hello, world!", "the lazy dog").TokenTypeIds, fromJson.Encode("Hello, world!", "the lazy dog").TokenTypeIds);
        // A word outside the subset is unknown there.
        Assert.Equal(new[] { 101, 7592, 100, 102 }, fromJson.Encode("hello cat").InputIds);
    }

    [Fact]
    public void TokenizerJsonWithAnotherModelTypeIsRejected()
    {
        using var folder = new TemporaryFolder();
        string path = Path.Combine(folder.Path, "tokenizer.json");
        File.WriteAllText(path, """{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}""");
        var error = Assert.Throws<TokenizerFileException>(() => BertTextTokenizer.FromTokenizerJson(path));
        Assert.Equal(path, error.FilePath);
        Assert.Contains("WordPiece", error.Message);
    }

    [Fact]
    public void TokenizerJsonWithAnUnsupportedNormalizerIsRejected()
    {
        using var folder = new TemporaryFolder();
        string path = Path.Combine(folder.Path, "tokenizer.json");
        File.WriteAllText(
            path,
            """{"normalizer": {"type": "Precompiled"}, "model": {"type": "WordPiece", "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3}}}""");
        var error = Assert.Throws<TokenizerFileException>(() => BertTextTokenizer.FromTokenizerJson(path));
        Assert.Contains("'Precompiled'", error.Message);
    }

    private static string[] ReadSentences(string file)
    {
        // Split on LF only (imdb has U+0085 inside sentences) and drop the tab-separated label.
        string text = File.ReadAllText(SharedData.Require(Path.Combine("text", "sentiment-labelled-sentences", file)));
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line[..line.LastIndexOf('\t')]).ToArray();
    }
}
