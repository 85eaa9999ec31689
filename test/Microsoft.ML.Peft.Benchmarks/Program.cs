// Benchmarks of Microsoft.ML.Peft. Each command prints a table and writes a JSON object (see README).
//   dotnet run -c Release --project test/Microsoft.ML.Peft.Benchmarks -- training --json training.json
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
    ConfigureThreads(parse.GetValue(threads));
    var result = new JsonObject
    {
        ["matmul_fp32_gflops"] = Math.Round(MatmulCeiling.GigaFlops(torch.float32), 1),
        ["matmul_bf16_gflops"] = Math.Round(MatmulCeiling.GigaFlops(torch.bfloat16), 1),
        ["threads"] = torch.get_num_threads(),
    };
    Console.WriteLine($"matmul 2048³  fp32 {result["matmul_fp32_gflops"]} GFLOP/s   bf16 {result["matmul_bf16_gflops"]} GFLOP/s   ({result["threads"]} threads)");
    Write(parse.GetValue(json), result);
    return 0;
});
root.Subcommands.Add(matmulCommand);

return root.Parse(args).Invoke();

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
