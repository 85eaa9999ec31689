namespace Microsoft.ML.Peft.Samples.QuickStart;

/// <summary>
/// The quick start's embedded data, generated (seeded) rather than shipped: short reviews about one of six topics that
/// also carry an opinion. The source task is the topic; the target task is the opinion, which depends on polarity words
/// and on negation ("not great" is negative) — something a model trained only on topics has no reason to encode, so
/// a new head alone adapts poorly while adapting the encoder (LoRA, full fine-tuning) works.
/// </summary>
internal static class SyntheticReviews
{
    public static readonly string[] Topics = ["sports", "cooking", "travel", "music", "finance", "weather"];

    private static readonly string[][] TopicWords =
    [
        ["football", "goal", "team", "match", "coach", "league", "player", "score", "season", "stadium", "referee", "tournament"],
        ["recipe", "oven", "flour", "garlic", "soup", "bake", "kitchen", "sauce", "pasta", "chef", "spice", "dessert"],
        ["flight", "hotel", "beach", "passport", "luggage", "museum", "train", "island", "tour", "airport", "map", "village"],
        ["guitar", "concert", "album", "melody", "singer", "drums", "piano", "song", "band", "lyrics", "rhythm", "chorus"],
        ["stock", "market", "bank", "loan", "budget", "invest", "profit", "tax", "price", "savings", "shares", "interest"],
        ["rain", "storm", "sunny", "cloud", "wind", "snow", "forecast", "thunder", "heat", "fog", "temperature", "breeze"],
    ];

    private static readonly string[] Positive = ["great", "wonderful", "excellent", "lovely", "fantastic", "delightful", "superb", "pleasant"];
    private static readonly string[] Negative = ["terrible", "awful", "boring", "dreadful", "disappointing", "poor", "horrible", "bad"];
    private static readonly string[] Filler = ["the", "a", "was", "really", "very", "it", "this", "we", "and", "so", "today", "quite", "all", "of"];

    /// <summary>Every word the generator uses, for the base model's WordPiece vocabulary.</summary>
    public static IEnumerable<string> Words =>
        TopicWords.SelectMany(w => w).Concat(Positive).Concat(Negative).Concat(Filler).Append("not").Distinct();

    /// <summary>One generated review.</summary>
    public sealed record Review(string Text, string Topic, string Opinion);

    /// <summary><paramref name="count"/> reviews from <paramref name="seed"/>.</summary>
    public static List<Review> Generate(int count, int seed)
    {
        var random = new Random(seed);
        var reviews = new List<Review>(count);
        for (int i = 0; i < count; i++)
        {
            int topic = random.Next(Topics.Length);
            bool positive = random.Next(2) == 0;
            bool negated = random.NextDouble() < 0.3;
            var words = new List<string>();
            int length = random.Next(7, 13);
            for (int w = 0; w < length; w++)
            {
                words.Add(random.NextDouble() < 0.45 ? Pick(random, TopicWords[topic]) : Pick(random, Filler));
            }

            // The opinion word, possibly negated: the opinion is what the whole phrase says.
            bool wordIsPositive = positive != negated;
            var phrase = new List<string>();
            if (negated)
            {
                phrase.Add("not");
            }

            phrase.Add(Pick(random, wordIsPositive ? Positive : Negative));
            words.InsertRange(random.Next(words.Count + 1), phrase);
            reviews.Add(new Review(string.Join(' ', words), Topics[topic], positive ? "positive" : "negative"));
        }

        return reviews;
    }

    private static string Pick(Random random, string[] words) => words[random.Next(words.Length)];
}
