using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Models.Bert;
using Microsoft.ML.Peft.Models.Common;
using Microsoft.ML.Peft.Models.Roberta;
using Microsoft.ML.Peft.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Samples.ForwardPass;

/// <summary>Runs a BERT or RoBERTa checkpoint (with or without a classification head) on texts or token ids.</summary>
internal static class TextModelRun
{
    public static int Run(string architecture, string modelPath, string[] texts, string[] pairs, string[] idRows, string outputPath, AdapterOptions adapter)
    {
        if ((texts.Length == 0) == (idRows.Length == 0))
        {
            Console.Error.WriteLine("Give either --text (one or more) or --ids (one or more).");
            return 2;
        }

        if (pairs.Length != 0 && pairs.Length != texts.Length)
        {
            Console.Error.WriteLine($"Give one --pair per --text ({texts.Length} texts, {pairs.Length} pairs).");
            return 2;
        }

        string folder = Directory.Exists(modelPath) ? modelPath : Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
        BertConfig config = architecture == "bert"
            ? BertConfig.FromFile(Path.Combine(folder, "config.json"))
            : RobertaConfig.FromFile(Path.Combine(folder, "config.json"));

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        (Tensor inputIds, Tensor mask, Tensor tokenTypes) = texts.Length > 0
            ? Tokenize(architecture, folder, texts, pairs)
            : FromIds(idRows, config.PadTokenId ?? 0);

        var outputs = new Dictionary<string, Tensor> { ["input_ids"] = inputIds, ["attention_mask"] = mask, ["token_type_ids"] = tokenTypes };
        using ITensorSource weights = CheckpointFiles.Open(modelPath);
        bool hasHead = weights.Keys.Any(k => k.StartsWith("classifier.", StringComparison.Ordinal));
        if (adapter.IsRequested)
        {
            return RunWithAdapter(architecture, config, weights, hasHead, modelPath, inputIds, mask, tokenTypes, adapter, outputs, outputPath);
        }

        EncoderOutput encoded;
        if (architecture == "bert")
        {
            if (hasHead)
            {
                using var classifier = BertForSequenceClassification.FromPretrained(config, weights);
                classifier.eval();
                outputs["logits"] = classifier.Forward(inputIds, mask, tokenTypes);
                encoded = classifier.Bert.Forward(inputIds, mask, tokenTypes, outputHiddenStates: true);
                Report(classifier.LoadResult);
            }
            else
            {
                var encoder = BertModel.FromPretrained(config, weights);
                encoder.eval();
                encoded = encoder.Forward(inputIds, mask, tokenTypes, outputHiddenStates: true);
                Report(encoder.LoadResult);
            }
        }
        else
        {
            var robertaConfig = (RobertaConfig)config;
            if (hasHead)
            {
                using var classifier = RobertaForSequenceClassification.FromPretrained(robertaConfig, weights);
                classifier.eval();
                outputs["logits"] = classifier.Forward(inputIds, mask);
                encoded = classifier.Roberta.Forward(inputIds, mask, outputHiddenStates: true);
                Report(classifier.LoadResult);
            }
            else
            {
                var encoder = RobertaModel.FromPretrained(robertaConfig, weights);
                encoder.eval();
                encoded = encoder.Forward(inputIds, mask, outputHiddenStates: true);
                Report(encoder.LoadResult);
            }
        }

        outputs["last_hidden_state"] = encoded.LastHiddenState;
        if (encoded.PoolerOutput is not null)
        {
            outputs["pooler_output"] = encoded.PoolerOutput;
        }

        for (int i = 0; i < (encoded.HiddenStates?.Count ?? 0); i++)
        {
            outputs[$"hidden_states.{i}"] = encoded.HiddenStates![i];
        }

        SafeTensors.Save(outputPath, outputs.ToDictionary(kv => kv.Key, kv => kv.Value.contiguous()));
        if (outputs.TryGetValue("logits", out Tensor? logits))
        {
            Console.WriteLine($"logits {string.Join("x", logits.shape)}:");
            Console.WriteLine(logits.ToString(TorchSharp.TensorStringStyle.Numpy));
        }

        Console.WriteLine($"Wrote {outputs.Count} tensors to {outputPath}.");
        return 0;
    }

    // A classifier is needed for logits; PEFT adapters for these models are SEQ_CLS adapters.
    private static int RunWithAdapter(
        string architecture, BertConfig config, ITensorSource weights, bool hasHead, string modelPath,
        Tensor inputIds, Tensor mask, Tensor tokenTypes, AdapterOptions adapter, Dictionary<string, Tensor> outputs, string outputPath)
    {
        if (!hasHead)
        {
            Console.WriteLine("Warning: the checkpoint has no classifier weights, so the head starts from a random initialization; " +
                              "base_logits cannot match another framework's (its head is random too) unless the adapter saves the head.");
        }

        // Enable gradients again for training (Run switched them off for the plain forward pass).
        using var grad = enable_grad();
        if (architecture == "bert")
        {
            var classifier = BertForSequenceClassification.FromPretrained(config, weights);
            Report(classifier.LoadResult);
            return AdapterCheck.Run(classifier, () => classifier.Forward(inputIds, mask, tokenTypes), TaskType.SeqCls, modelPath, adapter, outputs, outputPath);
        }

        var roberta = RobertaForSequenceClassification.FromPretrained((RobertaConfig)config, weights);
        Report(roberta.LoadResult);
        return AdapterCheck.Run(roberta, () => roberta.Forward(inputIds, mask), TaskType.SeqCls, modelPath, adapter, outputs, outputPath);
    }

    private static (Tensor Ids, Tensor Mask, Tensor TokenTypes) Tokenize(string architecture, string folder, string[] texts, string[] pairs)
    {
        ITextTokenizer tokenizer = architecture == "bert" ? BertTextTokenizer.FromPretrained(folder) : RobertaTextTokenizer.FromPretrained(folder);
        TokenizedBatch batch = pairs.Length > 0 ? tokenizer.EncodeBatch(texts, pairs) : tokenizer.EncodeBatch(texts);
        TokenizedTensors tensors = batch.ToTensors();
        return (tensors.InputIds, tensors.AttentionMask, tensors.TokenTypeIds);
    }

    private static (Tensor Ids, Tensor Mask, Tensor TokenTypes) FromIds(string[] rows, int padId)
    {
        long[][] parsed = rows.Select(r => r.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(long.Parse).ToArray()).ToArray();
        int width = parsed.Max(r => r.Length);
        var ids = new long[parsed.Length * width];
        var mask = new long[parsed.Length * width];
        for (int r = 0; r < parsed.Length; r++)
        {
            for (int t = 0; t < width; t++)
            {
                ids[r * width + t] = t < parsed[r].Length ? parsed[r][t] : padId;
                mask[r * width + t] = t < parsed[r].Length ? 1 : 0;
            }
        }

        return (torch.tensor(ids, [parsed.Length, width]), torch.tensor(mask, [parsed.Length, width]), torch.zeros(parsed.Length, width, int64));
    }

    private static void Report(WeightLoadResult? result)
    {
        if (result is not null && (result.MissingKeys.Count > 0 || result.UnexpectedKeys.Count > 0))
        {
            Console.WriteLine($"Weights: {result}");
        }
    }
}
