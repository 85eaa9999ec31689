// Runs a checkpoint on given inputs and writes every output to a safetensors file, for a direct comparison with
// Hugging Face transformers or torchvision on the same weights and inputs.
//
//   dotnet run --project samples/ForwardPass -- bert    --model <folder|file.safetensors> --text "a sentence" [--pair "second"] --out out.safetensors
//   dotnet run --project samples/ForwardPass -- bert    --model <folder> --ids 101,7592,102 --ids 101,102 --out out.safetensors
//   dotnet run --project samples/ForwardPass -- roberta --model <folder> --text "a sentence" --out out.safetensors
//   dotnet run --project samples/ForwardPass -- resnet  --model <file.safetensors|folder> --image a.jpg [--train-mode] --out out.safetensors
//
// Text models write input_ids, attention_mask, token_type_ids, logits (classification checkpoints), last_hidden_state,
// pooler_output (when present) and hidden_states.N; ResNet writes pixel_values and logits, and with --train-mode the
// BatchNorm running statistics after that one train-mode forward (keys as in the state dict).
//
// With a PEFT adapter (checked against Python PEFT by peft_crosscheck.py; see the README):
//   ... bert   --model <folder> --ids 101,7592,102 --adapter <peft folder> [--train-steps 3 --labels 1] --out ours.safetensors
//   ... resnet --model <file> --image a.jpg --lora-r 4 --save-adapter <folder> --out ours.safetensors
// writes base_logits, logits and merged_logits (and, when training, labels, stepK.loss/grad.<key>/param.<key> and
// trained_logits), with the AdamW settings in the file's metadata.
using System.CommandLine;
using Microsoft.ML.Peft.Samples.ForwardPass;

var model = new Option<string>("--model") { Description = "Hugging Face folder, or a .safetensors file (with config.json beside it for text models).", Required = true };
var output = new Option<string>("--out") { Description = "Where to write the outputs (safetensors).", Required = true };
var texts = new Option<string[]>("--text") { Description = "A text to encode (repeat for a batch).", AllowMultipleArgumentsPerToken = false };
var pairs = new Option<string[]>("--pair") { Description = "The second text of a pair, one per --text." };
var ids = new Option<string[]>("--ids") { Description = "Comma-separated token ids of one row (repeat for a batch); rows are right-padded with the config's pad_token_id." };
var images = new Option<string[]>("--image") { Description = "An image file (repeat for a batch)." };
var trainMode = new Option<bool>("--train-mode") { Description = "Run the ResNet in train mode (batch statistics) and write the updated running statistics." };

var adapter = new AdapterOptions.Cli();

var root = new RootCommand("Runs a BERT/RoBERTa/ResNet checkpoint and writes its outputs for comparison with transformers/torchvision.");
foreach (string architecture in new[] { "bert", "roberta" })
{
    var command = new Command(architecture, $"Run a {architecture} checkpoint on texts or token ids.") { model, output, texts, pairs, ids };
    AddAll(command, adapter.All);
    command.SetAction(parse => Guarded(() => TextModelRun.Run(
        architecture, parse.GetValue(model)!, parse.GetValue(texts) ?? [], parse.GetValue(pairs) ?? [], parse.GetValue(ids) ?? [], parse.GetValue(output)!,
        adapter.Read(parse))));
    root.Subcommands.Add(command);
}

var resnet = new Command("resnet", "Run a torchvision ResNet checkpoint on images.") { model, output, images, trainMode };
AddAll(resnet, adapter.All);
resnet.SetAction(parse => Guarded(() => ImageModelRun.Run(parse.GetValue(model)!, parse.GetValue(images) ?? [], parse.GetValue(trainMode), parse.GetValue(output)!, adapter.Read(parse))));
root.Subcommands.Add(resnet);

return root.Parse(args).Invoke();

static void AddAll(Command command, IEnumerable<Option> options)
{
    foreach (Option option in options)
    {
        command.Options.Add(option);
    }
}

// Bad input (a missing adapter file, labels that do not fit, weights of the wrong shape) gets its message, not a stack trace.
static int Guarded(Func<int> run)
{
    try
    {
        return run();
    }
    catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or Microsoft.ML.Peft.Checkpoints.WeightLoadException)
    {
        Console.Error.WriteLine($"{e.GetType().Name}: {e.Message}");
        return 1;
    }
}
