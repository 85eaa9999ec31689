using System.Collections.Concurrent;
using Microsoft.ML.Peft.Tests.Infrastructure;
using Microsoft.ML.Peft.Text;

namespace Microsoft.ML.Peft.Tests.Text;

/// <summary>The real bert-base-uncased vocab.txt from the shared data (skips the test when absent), with tokenizers cached per path.</summary>
internal static class BertVocabulary
{
    private static readonly ConcurrentDictionary<string, BertTextTokenizer> Cache = new();

    public static string VocabPath => SharedData.Require("vocab/bert-base-uncased/vocab.txt");

    public static BertTextTokenizer Uncased() => Cache.GetOrAdd(VocabPath, path => BertTextTokenizer.FromVocabFile(path));

    /// <summary>The id of <paramref name="token"/> read straight from the file (id = line index), to check expectations against.</summary>
    public static int IdOf(string token)
    {
        string[] lines = File.ReadAllLines(VocabPath);
        int id = Array.IndexOf(lines, token);
        Assert.True(id >= 0, $"'{token}' is not in vocab.txt");
        return id;
    }
}
