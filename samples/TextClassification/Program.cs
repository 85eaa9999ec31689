// Multiclass text classification with a PEFT trainer in an ML.NET pipeline
// (MapValueToKey → PeftTextClassification → MapKeyToValue): train, evaluate, save, reload, predict, export the adapter.
// Default data: BANKING77 (online-banking queries, 77 intents) from the shared data folder. Your own: --data file.csv|.tsv
// with a header, --text-column, --label-column, optionally --test-data. Default base: a random small BERT trained from
// scratch; a real one: --base-model <Hugging Face folder or Hub id>.
using System.CommandLine;
using Microsoft.ML.Peft.Samples;

var common = new SampleOptions("text-classification", "A Hugging Face BERT/RoBERTa folder, .safetensors file or Hub id.", defaultEpochs: 4);
var data = new TextDataOptions(textColumn: "text", secondTextColumn: null, labelColumn: "category", defaultMaxRows: 5000);
var root = new RootCommand("Multiclass text classification with Microsoft.ML.Peft (default data: BANKING77 from the shared data folder).");
common.AddTo(root);
data.AddTo(root);
root.SetAction(parse =>
{
    TextDataSettings text = data.Read(parse);
    return TextSample.Run(common.Read(parse), text, mlContext =>
    {
        Console.WriteLine("Data: BANKING77 (train.csv and test.csv from the shared data folder).");
        return (text.Read(mlContext, SharedData.Require("text/banking77/train.csv")), text.Read(mlContext, SharedData.Require("text/banking77/test.csv")));
    });
});
return SampleCommand.Invoke(root, args);
