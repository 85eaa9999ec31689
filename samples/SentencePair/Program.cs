// Sentence-pair classification (natural language inference) with a PEFT trainer in an ML.NET pipeline: the trainer's
// SecondTextColumnName makes each input "[CLS] premise [SEP] hypothesis [SEP]". Train, evaluate, save, reload, predict,
// export the adapter. Default data: SNLI from the shared data folder (its dev split to train on, its test split to score).
// Your own: --data file.csv|.tsv with a header, --text-column, --second-text-column, --label-column, optionally --test-data.
// Default base: a random small BERT trained from scratch; a real one: --base-model <Hugging Face folder or Hub id>.
using System.CommandLine;
using Microsoft.ML.Peft.Samples;
using Microsoft.ML.Peft.Samples.SentencePair;

var common = new SampleOptions("sentence-pair", "A Hugging Face BERT/RoBERTa folder, .safetensors file or Hub id.", defaultEpochs: 3);
var data = new TextDataOptions(textColumn: "premise", secondTextColumn: "hypothesis", labelColumn: "label", defaultMaxRows: 6000);
var root = new RootCommand("Sentence-pair classification (NLI) with Microsoft.ML.Peft (default data: SNLI from the shared data folder).");
common.AddTo(root);
data.AddTo(root);
root.SetAction(parse => TextSample.Run(common.Read(parse), data.Read(parse), _ =>
{
    Console.WriteLine("Data: SNLI 1.0 from the shared data folder: the dev split to train on, the test split to score.");
    return (SnliFiles.Read("dev"), SnliFiles.Read("test"));
}));
return SampleCommand.Invoke(root, args);
