using Microsoft.ML.Data;
using Microsoft.ML.Peft.Models.Bert;
using Microsoft.ML.Peft.Trainers;
using static Microsoft.ML.Peft.Tests.Trainers.TinyTextTask;

namespace Microsoft.ML.Peft.Tests.Trainers;

/// <summary>One multiclass model trained for the tests that only use it (saving, prediction engines, threads), so it is trained once.</summary>
public sealed class TrainedTextClassifier : IDisposable
{
    public TrainedTextClassifier()
    {
        BaseModel = Bert(seed: 3);
        Train = MLContext.Data.LoadFromEnumerable(Rows(240, seed: 11));
        TestRows = Rows(60, seed: 12);
        Test = MLContext.Data.LoadFromEnumerable(TestRows);
        Model = MLContext.Transforms.Conversion.MapValueToKey("Label", nameof(Review.Sentiment))
            .Append(MLContext.MulticlassClassification.Trainers.PeftTextClassification(Options<PeftTextClassificationTrainer.Options>(BaseModel, o => o.Log = Log.Add)))
            .Fit(Train);
    }

    public MLContext MLContext { get; } = new(seed: 1);

    public List<string> Log { get; } = [];

    internal BertForSequenceClassification BaseModel { get; }

    public IDataView Train { get; }

    internal List<Review> TestRows { get; }

    public IDataView Test { get; }

    public TransformerChain<PeftTextClassificationTransformer> Model { get; }

    public PeftTextClassificationTransformer Classifier => Model.LastTransformer;

    /// <summary>The fitted MapValueToKey in front of the classifier.</summary>
    public ITransformer KeyMapping => Model.First();

    public void Dispose()
    {
        Classifier.Dispose();
        BaseModel.Dispose();
    }
}
