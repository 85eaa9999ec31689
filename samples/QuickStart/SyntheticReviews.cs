namespace Microsoft.ML.Peft.Samples.QuickStart;

/// <summary>
/// The quick start's embedded data, generated (seeded) rather than shipped: short reviews about one of six topics that
/// carry one opinion word, possibly negated. The source task (what the base model is trained on, without negation)
/// is topic × the opinion word's polarity, so the base learns what a pretrained model knows: topic and sentiment
/// words. The target task is the review's opinion with negation ("not great" is negative): the base's features give a
/// new head only the word's polarity, so head-only stays near the share of non-negated rows, while adapting the
/// encoder (LoRA, full fine-tuning) learns to flip the polarity after "not".
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

    /// <summary>The source task's classes: every topic with a positive and a negative opinion word.</summary>
    public static readonly string[] SourceClasses = Topics.SelectMany(t => new[] { t + "-positive", t + "-negative" }).ToArray();

    /// <summary>One generated review: its text, its opinion, and the source task's class (topic and the word's polarity).</summary>
    public sealed record Review(string Text, string Topic, string Opinion, bool WordIsPositive)
    {
        /// <summary>The index of this review's class in <see cref="SourceClasses"/>.</summary>
        public int SourceClass => (Array.IndexOf(Topics, Topic) * 2) + (WordIsPositive ? 0 : 1);
    }

    /// <summary><paramref name="count"/> reviews from <paramref name="seed"/>, a share <paramref name="negationRate"/> of them with a negated opinion word.</summary>
    public static List<Review> Generate(int count, int seed, double negationRate)
    {
        var random = new Random(seed);
        var reviews = new List<Review>(count);
        for (int i = 0; i < count; i++)
        {
            int topic = random.Next(Topics.Length);
            bool positive = random.Next(2) == 0;
            bool negated = random.NextDouble() < negationRate;
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
            reviews.Add(new Review(string.Join(' ', words), Topics[topic], positive ? "positive" : "negative", wordIsPositive));
        }

        return reviews;
    }

    private static string Pick(Random random, string[] words) => words[random.Next(words.Length)];
}
