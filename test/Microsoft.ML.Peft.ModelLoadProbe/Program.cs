// Loads an ML.NET model zip in a fresh process and prints, as JSON lines:
//   {"transformer": "<full type name of the loaded transformer (the last one of a chain)>"}
//   {"<column>": <value>, ...}   one line per input row, for the requested output columns
// Usage: Microsoft.ML.Peft.ModelLoadProbe <model.zip> <inputs.tsv> <output column> [<output column> ...]
// The TSV has a header row; every input column is read as text.
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Peft.Testing;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: Microsoft.ML.Peft.ModelLoadProbe <model.zip> <inputs.tsv> <output column> [...]");
    return 2;
}

var mlContext = new MLContext(seed: 1);
ITransformer model = mlContext.Model.Load(args[0], out _);
ITransformer last = model is TransformerChain<ITransformer> chain ? chain.LastTransformer : model;
Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, string> { ["transformer"] = last.GetType().FullName! }));

string[] header = File.ReadLines(args[1]).First().Split('\t');
var loader = mlContext.Data.CreateTextLoader(
    header.Select((name, i) => new TextLoader.Column(name, DataKind.String, i)).ToArray(),
    separatorChar: '\t', hasHeader: true, allowQuoting: false);
IDataView output = model.Transform(loader.Load(args[1]));

foreach (Dictionary<string, object?> row in OutputRows.Read(output, args.Skip(2).ToArray()))
{
    Console.WriteLine(JsonSerializer.Serialize(row));
}

return 0;
