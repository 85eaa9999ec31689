using System.IO.Compression;
using System.Text;

namespace Microsoft.ML.Peft.Benchmarks;

/// <summary>Readers for the real data sets in the shared data folder (see its README.md for the formats).</summary>
internal static class SharedDataSets
{
    /// <summary>The shared data folder: $PEFT_SHARED_DATA, or the first <c>shared/data</c> above this program or the working directory.</summary>
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relative)
    {
        string path = Path.Combine(Root, relative);
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            throw new FileNotFoundException($"The shared data file '{relative}' is not in {Root}; set PEFT_SHARED_DATA to the folder that holds it.", path);
        }

        return path;
    }

    /// <summary>BANKING77 (RFC-4180 CSV, header <c>text,category</c>): texts and class indices in <c>categories.json</c> order.</summary>
    public static (List<string> Texts, List<int> Labels, string[] Classes) Banking77(string split)
    {
        string[] classes = System.Text.Json.JsonSerializer.Deserialize<string[]>(File.ReadAllText(PathOf("text/banking77/categories.json")))!;
        var index = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
        var texts = new List<string>();
        var labels = new List<int>();
        List<List<string>> records = Csv(File.ReadAllText(PathOf($"text/banking77/{split}.csv"), Encoding.UTF8));
        foreach (List<string> record in records.Skip(1))
        {
            if (record.Count != 2 || !index.TryGetValue(record[1], out int label))
            {
                throw new InvalidDataException($"banking77/{split}.csv: a record is not (text, known category): {string.Join(" | ", record)}");
            }

            texts.Add(record[0]);
            labels.Add(label);
        }

        return (texts, labels, classes);
    }

    /// <summary>SMS Spam Collection (<c>label TAB text</c>): label 1 = spam, 0 = ham.</summary>
    public static (List<string> Texts, List<int> Labels) SmsSpam()
    {
        var texts = new List<string>();
        var labels = new List<int>();
        foreach (string line in ReadLinesLf(PathOf("text/sms-spam-collection/SMSSpamCollection")))
        {
            int tab = line.IndexOf('\t');
            string label = line[..tab];
            labels.Add(label switch
            {
                "spam" => 1,
                "ham" => 0,
                _ => throw new InvalidDataException($"SMSSpamCollection: unknown label '{label}'."),
            });
            texts.Add(line[(tab + 1)..]);
        }

        return (texts, labels);
    }

    /// <summary>UCI sentiment sentences (amazon, imdb, yelp; <c>sentence TAB label</c>, no quoting).</summary>
    public static (List<string> Texts, List<int> Labels) Sentiment()
    {
        var texts = new List<string>();
        var labels = new List<int>();
        foreach (string file in new[] { "amazon_cells_labelled.txt", "imdb_labelled.txt", "yelp_labelled.txt" })
        {
            foreach (string line in ReadLinesLf(PathOf("text/sentiment-labelled-sentences/" + file)))
            {
                int tab = line.LastIndexOf('\t');
                texts.Add(line[..tab].Trim());
                labels.Add(int.Parse(line[(tab + 1)..].Trim(), System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return (texts, labels);
    }

    /// <summary>sklearn's 8×8 digits: 64 pixel values in 0..16 and the digit, per row.</summary>
    public static (List<float[]> Pixels, List<int> Digits) Digits()
    {
        var pixels = new List<float[]>();
        var digits = new List<int>();
        using var gzip = new GZipStream(File.OpenRead(PathOf("images/sklearn-digits/digits.csv.gz")), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            float[] values = line.Split(',').Select(v => float.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            pixels.Add(values[..64]);
            digits.Add((int)values[64]);
        }

        return (pixels, digits);
    }

    // Splits on LF only: some sentences hold U+0085, which other line readers would treat as a line break.
    private static IEnumerable<string> ReadLinesLf(string path) =>
        File.ReadAllText(path, Encoding.UTF8).Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0);

    private static List<List<string>> Csv(string text)
    {
        var records = new List<List<string>>();
        var record = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                record.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\n' || c == '\r')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }

                record.Add(field.ToString());
                field.Clear();
                records.Add(record);
                record = [];
            }
            else
            {
                field.Append(c);
            }
        }

        if (field.Length > 0 || record.Count > 0)
        {
            record.Add(field.ToString());
            records.Add(record);
        }

        return records;
    }

    private static string FindRoot()
    {
        if (Environment.GetEnvironmentVariable("PEFT_SHARED_DATA") is { Length: > 0 } configured)
        {
            return configured;
        }

        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                foreach (string candidate in new[] { Path.Combine(folder.FullName, "shared", "data"), Path.Combine(folder.FullName, "..", "shared", "data") })
                {
                    if (Directory.Exists(Path.Combine(candidate, "text")))
                    {
                        return Path.GetFullPath(candidate);
                    }
                }
            }
        }

        return "/work/shared/data";
    }
}
