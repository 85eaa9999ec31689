// The quick start (the README's main job). Offline, on an embedded default:
//   1. builds a small BERT and trains it fully on a source task (the topic of generated reviews), saving it as a
//      Hugging Face folder;
//   2. adapts that base to a target task (the opinion of the reviews) through an ML.NET pipeline
//      (MapValueToKey → PeftTextClassification → MapKeyToValue) with head-only, LoRA and full fine-tuning;
//   3. prints accuracy, macro accuracy, trainable %, adapter size and time for each, then saves the LoRA model with
//      mlContext.Model.Save (referring to the base model by path, checked by SHA-256, instead of embedding its weights),
//      loads it back and checks that its predictions are identical.
// With --base-model (a Hugging Face folder or Hub id) and --data (a TSV file with a header) it does steps 2-3 on
// your own model and data instead.
using System.CommandLine;
using Microsoft.ML.Peft.Samples.QuickStart;

var baseModel = new Option<string?>("--base-model") { Description = "A Hugging Face BERT/RoBERTa folder or Hub id (default: build one on the embedded source task)." };
var data = new Option<string?>("--data") { Description = "A TSV file with a header row (default: the embedded target task)." };
var textColumn = new Option<string>("--text-column") { Description = "The text column of --data.", DefaultValueFactory = _ => "Text" };
var labelColumn = new Option<string>("--label-column") { Description = "The label column of --data.", DefaultValueFactory = _ => "Label" };
var output = new Option<string>("--output") { Description = "Where models are written.", DefaultValueFactory = _ => Path.Combine(Path.GetTempPath(), "peft-quickstart") };
var epochs = new Option<int>("--epochs") { Description = "Epochs of each adaptation.", DefaultValueFactory = _ => 6 };
var verbose = new Option<bool>("--verbose") { Description = "Print the training log (per-epoch metrics) of every run." };

var root = new RootCommand("Microsoft.ML.Peft quick start: build a base model, adapt it with PEFT through ML.NET, compare methods.")
{
    baseModel, data, textColumn, labelColumn, output, epochs, verbose,
};
root.SetAction(parse => QuickStartRun.Run(new QuickStartRun.Settings(
    parse.GetValue(baseModel), parse.GetValue(data), parse.GetValue(textColumn)!, parse.GetValue(labelColumn)!, parse.GetValue(output)!, parse.GetValue(epochs), parse.GetValue(verbose))));
return root.Parse(args).Invoke();
