using System.Text.Json;
using Microsoft.ML.Peft.Tests.Infrastructure;
using Microsoft.ML.Peft.Text;

namespace Microsoft.ML.Peft.Tests.Text;

/// <summary>
/// tokenizer.json added tokens matched as Hugging Face's AddedVocabulary does: "normalized": false ones verbatim in the
/// raw text, "normalized": true ones (normalized themselves) in the normalized text, "single_word" ones only where no
/// word character touches them. Expected ids were checked against Hugging Face's Rust tokenizers on the same file.
/// </summary>
public sealed class AddedTokenMatchingTests
{
    private const int Cls = 2;
    private const int Sep = 3;
    private const int Unk = 1;
    private const int Cases = 5;
    private const int A = 8;
    private const int Covid = 11;
    private const int Zq = 12;
    private const int Cafe = 13;
    private const int Raw = 14;

    [Fact]
    public void NormalizedAddedTokenMatchesWhateverTheCaseOfTheText()
    {
        BertTextTokenizer tokenizer = Load();
        Assert.Equal(new[] { Cls, Covid, Cases, Sep }, tokenizer.Encode("COVID19X cases").InputIds);
        Assert.Equal(new[] { Cls, Covid, Sep }, tokenizer.Encode("Covid19x").InputIds);
        Assert.Equal(new[] { Cls, Covid, Cases, Sep }, tokenizer.Encode("COVID19Xcases").InputIds);
        // Not single_word: it matches inside a word too.
        Assert.Equal(new[] { Cls, Unk, Covid, Unk, Sep }, tokenizer.Encode("xcovid19xy").InputIds);
    }

    [Fact]
    public void NormalizedAddedTokenIsNormalizedItselfSoAccentsAreStrippedOnBothSides()
    {
        // The token is "Café"; the uncased normalizer makes both it and the text "cafe".
        BertTextTokenizer tokenizer = Load();
        Assert.Equal(new[] { Cls, Cafe, Cases, Sep }, tokenizer.Encode("CAFÉ cases").InputIds);
        Assert.Equal(new[] { Cls, Cafe, Sep }, tokenizer.Encode("cafe").InputIds);
    }

    [Fact]
    public void NonNormalizedTokensStillMatchOnlyTheRawText()
    {
        BertTextTokenizer tokenizer = Load();
        Assert.Equal(new[] { Cls, Cls, A, Sep }, tokenizer.Encode("[CLS] a").InputIds);
        // "[cls]" is not [CLS]: it is WordPiece-d as "[", "cls", "]".
        Assert.Equal(new[] { Cls, Unk, Unk, Unk, A, Sep }, tokenizer.Encode("[cls] a").InputIds);
        Assert.Equal(new[] { Cls, Raw, A, Sep }, tokenizer.Encode("<raw> a").InputIds);
        Assert.Equal(new[] { Cls, Unk, Unk, Unk, A, Sep }, tokenizer.Encode("<RAW> a").InputIds);
    }

    [Fact]
    public void SingleWordTokenMatchesOnlyWhereNoWordCharacterTouchesIt()
    {
        BertTextTokenizer tokenizer = Load();
        Assert.Equal(new[] { Cls, Zq, A, Sep }, tokenizer.Encode("ZQ a").InputIds);
        Assert.Equal(new[] { Cls, A, Zq, Unk, Sep }, tokenizer.Encode("a zq.").InputIds);
        Assert.Equal(new[] { Cls, Zq, Zq, Sep }, tokenizer.Encode("zq zq").InputIds);
        Assert.Equal(new[] { Cls, Unk, Sep }, tokenizer.Encode("zqa").InputIds);
        Assert.Equal(new[] { Cls, Unk, Sep }, tokenizer.Encode("azq").InputIds);
        Assert.Equal(new[] { Cls, Unk, Sep }, tokenizer.Encode("zq1").InputIds);
        Assert.Equal(new[] { Cls, Unk, Sep }, tokenizer.Encode("zqzq").InputIds);
        // '_' is a word character; a raw single_word token next to a letter does not match either.
        Assert.Equal(new[] { Cls, A, Unk, Unk, Sep }, tokenizer.Encode("a_zq").InputIds);
        Assert.Equal(new[] { Cls, A, Unk, Unk, Unk, Sep }, tokenizer.Encode("a<raw>").InputIds);
        // The edge of a raw token's match counts as a word boundary for the normalized pass.
        Assert.Equal(new[] { Cls, Unk, Unk, Unk, Zq, Sep }, tokenizer.Encode("<raw>zq").InputIds);
    }

    [Fact]
    public void SavedTokenizerKeepsHowItsAddedTokensMatch()
    {
        BertTextTokenizer tokenizer = Load();
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            TokenizerPersistence.Write(writer, tokenizer);
        }

        stream.Position = 0;
        using var reader = new BinaryReader(stream);
        TextTokenizer read = TokenizerPersistence.Read(reader, "test stream");
        Assert.Equal(new[] { Cls, Covid, Cases, Sep }, read.Encode("COVID19X cases").InputIds);
        Assert.Equal(new[] { Cls, Unk, Sep }, read.Encode("zqa").InputIds);
        foreach (string text in new[] { "COVID19X cases", "CAFÉ", "[cls] a", "ZQ a", "zqa", "a<raw>" })
        {
            Assert.Equal(tokenizer.Encode(text).InputIds, read.Encode(text).InputIds);
        }
    }

    [Fact]
    public void TokenizerWithoutNormalizedOrSingleWordTokensIsSavedInTheFirstLayout()
    {
        // Older readers know only layout 1; a tokenizer that needs nothing more is still written in it.
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            TokenizerPersistence.Write(writer, Load(withAddedWords: false));
            Assert.Equal(1, stream.ToArray()[0]);
        }
    }

    [Fact]
    public void EntryWithoutNormalizedFollowsSpecial()
    {
        // Hugging Face always writes "normalized"; without it a non-special token is normalized (AddedToken::from),
        // a special one is not, and one that says neither matches verbatim.
        string[] vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a"];
        BertTextTokenizer tokenizer = Write(vocabulary, [
            new { id = 5, content = "word", special = false },
            new { id = 6, content = "Spec", special = true },
            new { id = 7, content = "Plain" }]);
        Assert.Equal(new[] { Cls, 5, Sep }, tokenizer.Encode("WORD").InputIds);
        Assert.Equal(new[] { Cls, 6, Sep }, tokenizer.Encode("Spec").InputIds);
        Assert.Equal(new[] { Cls, Unk, Sep }, tokenizer.Encode("spec").InputIds);
        Assert.Equal(new[] { Cls, 7, Sep }, tokenizer.Encode("Plain").InputIds);
        Assert.Equal(new[] { Cls, Unk, Sep }, tokenizer.Encode("plain").InputIds);
    }

    private static BertTextTokenizer Load(bool withAddedWords = true)
    {
        string[] vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "cases", "co", "##vid", "a", "b", "##b"];
        var added = vocabulary.Take(5)
            .Select((t, id) => (object)new { id, content = t, single_word = false, lstrip = false, rstrip = false, normalized = false, special = true })
            .ToList();
        if (withAddedWords)
        {
            added.Add(new { id = Covid, content = "covid19x", single_word = false, lstrip = false, rstrip = false, normalized = true, special = false });
            added.Add(new { id = Zq, content = "zq", single_word = true, lstrip = false, rstrip = false, normalized = true, special = false });
            added.Add(new { id = Cafe, content = "Café", single_word = false, lstrip = false, rstrip = false, normalized = true, special = false });
            added.Add(new { id = Raw, content = "<raw>", single_word = true, lstrip = false, rstrip = false, normalized = false, special = false });
        }

        return Write(vocabulary, added);
    }

    private static BertTextTokenizer Write(string[] vocabulary, IEnumerable<object> addedTokens)
    {
        var json = new Dictionary<string, object?>
        {
            ["version"] = "1.0",
            ["added_tokens"] = addedTokens,
            ["normalizer"] = new { type = "BertNormalizer", clean_text = true, handle_chinese_chars = true, strip_accents = (bool?)null, lowercase = true },
            ["pre_tokenizer"] = new { type = "BertPreTokenizer" },
            ["post_processor"] = new { type = "BertProcessing", sep = new object[] { "[SEP]", Sep }, cls = new object[] { "[CLS]", Cls } },
            ["model"] = new
            {
                type = "WordPiece", unk_token = "[UNK]", continuing_subword_prefix = "##", max_input_chars_per_word = 100,
                vocab = vocabulary.Select((t, id) => (t, id)).ToDictionary(p => p.t, p => p.id),
            },
        };
        using var folder = new TemporaryFolder();
        string path = Path.Combine(folder.Path, "tokenizer.json");
        File.WriteAllText(path, JsonSerializer.Serialize(json));
        return BertTextTokenizer.FromTokenizerJson(path);
    }
}
