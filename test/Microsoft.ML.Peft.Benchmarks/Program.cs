// Benchmarks of Microsoft.ML.Peft. Each command prints a table and writes a JSON object (see README.md).
//   dotnet run -c Release --project test/Microsoft.ML.Peft.Benchmarks -- training --json training.json [--quick] [--only rows|bucketing|transfer]
//   dotnet run -c Release --project test/Microsoft.ML.Peft.Benchmarks -- inference --json inference.json
//   dotnet run -c Release --project test/Microsoft.ML.Peft.Benchmarks -- matmul --json matmul.json
using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Peft.Benchmarks;
using TorchSharp;

var json = new Option<string?>("--json") { Description = "Write the results as a JSON object to this file." };
var threads = new Option<int?>("--threads") { Description = "torch.set_num_threads (default: all cores)." };

var root = new RootCommand("Microsoft.ML.Peft benchmarks: print figures and write JSON; nothing here asserts on time.");

var matmulCommand = new Command("matmul", "The fp32 and bf16 matmul ceiling of this machine.") { json, threads };
matmulCommand.SetAction(parse =>
{
    OpenMpWaitPolicy.Apply(OpenMpWaitPolicy.DefaultPolicy);
    ConfigureThreads(parse.GetValue(threads));
    var result = new JsonObject
    {
        ["matmul_fp32_gflops"] = Math.Round(MatmulCeiling.GigaFlops(torch.float32), 1),
        ["matmul_bf16_gflops"] = Math.Round(MatmulCeiling.GigaFlops(torch.bfloat16), 1),
        ["threads"] = torch.get_num_threads(),
    };
    Console.WriteLine($"matmul ceiling  fp32 {result["matmul_fp32_gflops"]} GFLOP/s   bf16 {result["matmul_bf16_gflops"]} GFLOP/s   ({result["threads"]} threads)");
    Write(parse.GetValue(json), result);
    return 0;
});
root.Subcommands.Add(matmulCommand);

var only = new Option<string[]>("--only")
{
    Description = $"Run only these parts ({string.Join(", ", TrainingBenchmark.Parts)}); default all.",
    AllowMultipleArgumentsPerToken = true,
};
var quick = new Option<bool>("--quick") { Description = "Fewer steps, smaller transfer models and fewer epochs: a few minutes." };
var models = new Option<string[]>("--models")
{
    Description = $"Step-time rows only for these models ({string.Join(", ", BenchmarkModels.All)}); default all.",
    AllowMultipleArgumentsPerToken = true,
};
var transferThreads = new Option<int>("--transfer-threads")
{
    Description = "Threads of the transfer runs (default 1: their matrices are small, and on a shared machine OpenMP barriers stall).",
    DefaultValueFactory = _ => 1,
};
var waitPolicy = new Option<string>("--omp-wait-policy")
{
    Description = $"How libtorch's idle OpenMP threads wait: brief (default; spin {OpenMpWaitPolicy.BriefSpinCount} rounds, then sleep), passive (sleep at once), active, or default (libgomp's own). OMP_WAIT_POLICY or GOMP_SPINCOUNT in the environment wins.",
    DefaultValueFactory = _ => OpenMpWaitPolicy.DefaultPolicy,
};
waitPolicy.AcceptOnlyFromAmong(OpenMpWaitPolicy.Policies);
var trainingCommand = new Command("training", "Step time, GFLOP/s and peak RSS per model/method/precision; bucketing; transfer quality.")
{
    json, threads, only, quick, models, transferThreads, waitPolicy,
};
trainingCommand.SetAction(parse =>
{
    string[] parts = parse.GetValue(only) is { Length: > 0 } chosen ? chosen.SelectMany(p => p.Split(',')).ToArray() : TrainingBenchmark.Parts;
    string? unknown = parts.FirstOrDefault(p => !TrainingBenchmark.Parts.Contains(p));
    if (unknown is not null)
    {
        Console.Error.WriteLine($"--only: unknown part '{unknown}'; expected {string.Join(", ", TrainingBenchmark.Parts)}.");
        return 2;
    }

    string[]? chosenModels = parse.GetValue(models) is { Length: > 0 } m ? m.SelectMany(x => x.Split(',')).ToArray() : null;
    string? unknownModel = chosenModels?.FirstOrDefault(x => !BenchmarkModels.All.Contains(x));
    if (unknownModel is not null)
    {
        Console.Error.WriteLine($"--models: unknown model '{unknownModel}'; expected {string.Join(", ", BenchmarkModels.All)}.");
        return 2;
    }

    string policy = OpenMpWaitPolicy.Apply(parse.GetValue(waitPolicy)!);
    JsonObject result = TrainingBenchmark.Run(parts.ToHashSet(), parse.GetValue(quick), parse.GetValue(threads) ?? Environment.ProcessorCount, parse.GetValue(transferThreads), chosenModels, Console.WriteLine);
    result["omp_wait_policy"] = policy;
    Console.WriteLine(result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    Write(parse.GetValue(json), result);
    return 0;
});
root.Subcommands.Add(trainingCommand);

var inferenceRows = new Option<int>("--rows") { Description = "Rows scored per Transform pass.", DefaultValueFactory = _ => 512 };
var singleRows = new Option<int>("--single-rows") { Description = "Rows predicted one at a time per PredictionEngine pass.", DefaultValueFactory = _ => 128 };
var rounds = new Option<int>("--rounds") { Description = "Timed rounds (each runs every configuration once); medians are reported.", DefaultValueFactory = _ => 11 };
var inferenceCommand = new Command("inference", "Prediction rows/s at BERT-small shape: base vs merged vs unmerged LoRA, batched Transform vs one row at a time.")
{
    json, threads, inferenceRows, singleRows, rounds, waitPolicy,
};
inferenceCommand.SetAction(parse =>
{
    string policy = OpenMpWaitPolicy.Apply(parse.GetValue(waitPolicy)!);
    string loadAtStart = LoadAverage();
    JsonObject result = InferenceBenchmark.Run(
        parse.GetValue(inferenceRows), parse.GetValue(singleRows), parse.GetValue(rounds), parse.GetValue(threads) ?? Environment.ProcessorCount, Console.WriteLine);
    result["omp_wait_policy"] = policy;
    result["load_average_at_start"] = loadAtStart;
    result["load_average_at_end"] = LoadAverage();
    Console.WriteLine(result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    Write(parse.GetValue(json), result);
    return 0;
});
root.Subcommands.Add(inferenceCommand);

// Hidden: one step-time row, run by "training" in a fresh child process so that its peak RSS is that row's alone.
var model = new Option<string>("--model") { Required = true };
var method = new Option<string>("--method");
var precision = new Option<string>("--precision") { DefaultValueFactory = _ => "fp32" };
var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 8 };
var sequence = new Option<int>("--sequence") { DefaultValueFactory = _ => 128 };
var imageSize = new Option<int>("--image-size") { DefaultValueFactory = _ => 224 };
var warmup = new Option<int>("--warmup") { DefaultValueFactory = _ => 2 };
var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 5 };
var stepCommand = new Command(ChildRows.CommandName, "(internal) Time one configuration's training steps in this process.")
{
    model, method, precision, batch, sequence, imageSize, warmup, steps, threads, waitPolicy,
};
stepCommand.Hidden = true;
stepCommand.SetAction(parse =>
{
    // Run by hand it takes training's default (brief); run by training it keeps the parent's policy (see ChildRows).
    string policy = OpenMpWaitPolicy.Apply(parse.GetValue(waitPolicy)!);
    var spec = new RowSpec(
        parse.GetValue(model)!, parse.GetValue(method) ?? throw new ArgumentException("--method is required."), parse.GetValue(precision)!, parse.GetValue(batch), parse.GetValue(sequence),
        parse.GetValue(imageSize), parse.GetValue(warmup), parse.GetValue(steps), parse.GetValue(threads) ?? Environment.ProcessorCount);
    JsonObject row = StepBenchmark.Run(spec);
    row["omp_wait_policy"] = policy;
    Console.WriteLine(ChildRows.Marker + row.ToJsonString());
    return 0;
});
root.Subcommands.Add(stepCommand);

var profileCommand = new Command("profile", "(internal) Break a BERT step into passes and kernels.") { model, method, precision, batch, sequence, steps, threads };
profileCommand.Hidden = true;
profileCommand.SetAction(parse =>
{
    OpenMpWaitPolicy.Apply(OpenMpWaitPolicy.DefaultPolicy);
    if (parse.GetValue(method) is { } phasesOf)
    {
        StepPhases.Run(parse.GetValue(model)!, phasesOf, parse.GetValue(precision)!, parse.GetValue(batch), parse.GetValue(sequence), parse.GetValue(steps), parse.GetValue(threads) ?? Environment.ProcessorCount);
        return 0;
    }

    StepProfile.Run(parse.GetValue(model)!, parse.GetValue(batch), parse.GetValue(sequence), parse.GetValue(threads) ?? Environment.ProcessorCount);
    return 0;
});
root.Subcommands.Add(profileCommand);

return root.Parse(args).Invoke();

static string LoadAverage() => TrainingBenchmark.LoadAverage();

static void ConfigureThreads(int? threads) => torch.set_num_threads(threads ?? Environment.ProcessorCount);

static void Write(string? path, JsonObject result)
{
    if (path is null)
    {
        return;
    }

    File.WriteAllText(path, result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    Console.WriteLine($"Wrote {path}");
}
