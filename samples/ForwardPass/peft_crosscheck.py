#!/usr/bin/env python3
"""Repeats a `ForwardPass ... --adapter/--train-steps` run with Hugging Face PEFT and compares the results.

NOT RUN IN THIS REPOSITORY: its build machine has no Python torch/PEFT. It needs torch, transformers (bert),
torchvision (resnet), peft and safetensors.

    python peft_crosscheck.py bert   --model <HF folder>         --adapter <PEFT folder> --ours ours.safetensors   (also RoBERTa)
    python peft_crosscheck.py resnet --model resnet.safetensors  --adapter <PEFT folder> --ours ours.safetensors

The inputs (input_ids, attention_mask, token_type_ids or pixel_values; labels) and the AdamW settings (file metadata)
are read from our file, so both sides see the same numbers. Steps, in our order: base_logits (adapter disabled),
logits, merged_logits (merge, forward, unmerge), then, if our file has them, the AdamW steps (eval mode: no dropout,
BatchNorm on running statistics) and trained_logits. Prints max |ours - PEFT| per tensor against the issue's
tolerances and exits 1 if any is exceeded. --out writes PEFT's tensors under the same names.
"""
import argparse
import os
import sys

import torch
import torch.nn.functional as F
from peft import PeftModel, get_peft_model_state_dict
from safetensors import safe_open
from safetensors.torch import load_file, save_file

LOGITS_TOLERANCE = {"bert": 2e-5, "resnet": 2e-4}
PARAM_TOLERANCE = 2e-6
GRAD_RELATIVE_TOLERANCE = 1e-4  # times the largest |gradient| of that tensor in PEFT


def load_base(kind, path):
    if kind == "bert":
        from transformers import AutoModelForSequenceClassification

        return AutoModelForSequenceClassification.from_pretrained(path, attn_implementation="eager").float()

    from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

    # torchvision's constructor has the standard widths only (stem 64, stages 64..512); depth and classes come from the file.
    state = load_file(os.path.join(path, "model.safetensors") if os.path.isdir(path) else path)
    block = Bottleneck if "layer1.0.conv3.weight" in state else BasicBlock
    layers = [1 + max(int(k.split(".")[1]) for k in state if k.startswith(f"layer{i}.")) for i in range(1, 5)]
    model = ResNet(block, layers, num_classes=state["fc.weight"].shape[0])
    model.load_state_dict(state)
    return model


def make_forward(kind, model, ours):
    if kind == "resnet":
        return lambda: model(ours["pixel_values"])
    inputs = {"input_ids": ours["input_ids"], "attention_mask": ours["attention_mask"]}
    if model.get_base_model().config.model_type == "bert":
        inputs["token_type_ids"] = ours["token_type_ids"]
    return lambda: model(**inputs).logits


def trainable_by_key(peft_model):
    """Each trainable parameter under its adapter_model.safetensors key (state-dict values share the parameters' memory)."""
    key_of = {t.data_ptr(): k for k, t in get_peft_model_state_dict(peft_model).items()}
    result = []
    for name, p in peft_model.named_parameters():
        if p.requires_grad:
            if p.data_ptr() not in key_of:
                sys.exit(f"trainable parameter {name} is not in PEFT's adapter state dict")
            result.append((key_of[p.data_ptr()], p))
    return result


class Report:
    def __init__(self, ours):
        self.ours, self.failures = ours, 0

    def check(self, name, theirs, tolerance):
        if name not in self.ours:
            print(f"FAIL {name}: missing from our file")
            self.failures += 1
            return
        ours = self.ours[name].double()
        if ours.shape != theirs.shape:
            print(f"FAIL {name}: shape {list(ours.shape)} here, {list(theirs.shape)} in PEFT")
            self.failures += 1
            return
        diff = (ours - theirs.double()).abs().max().item() if ours.numel() else 0.0
        ok = diff <= tolerance
        self.failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}: max|diff| {diff:.3e} (tolerance {tolerance:.1e})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("kind", choices=["bert", "resnet"])
    parser.add_argument("--model", required=True, help="HF folder (bert/roberta) or torchvision .safetensors (resnet)")
    parser.add_argument("--adapter", required=True, help="PEFT adapter folder (the same one our run loaded or saved)")
    parser.add_argument("--ours", required=True, help="the safetensors file ForwardPass wrote")
    parser.add_argument("--out", help="write PEFT's tensors here")
    args = parser.parse_args()

    ours = load_file(args.ours)
    with safe_open(args.ours, framework="pt") as f:
        meta = f.metadata() or {}
    steps = int(meta.get("train_steps", "0"))
    if steps and meta.get("adapter") == "new":
        sys.exit("Our run trained a new adapter, whose starting values are not on disk. Save it first (--save-adapter, "
                 "no --train-steps), then train from it (--adapter <that folder> --train-steps N).")
    tolerance = LOGITS_TOLERANCE[args.kind]

    model = PeftModel.from_pretrained(load_base(args.kind, args.model), args.adapter, is_trainable=steps > 0)
    model.eval()  # also while training: no dropout; BatchNorm uses and keeps its running statistics
    forward = make_forward(args.kind, model, ours)
    report, out = Report(ours), {}

    with torch.no_grad():
        with model.disable_adapter():
            out["base_logits"] = forward()
        out["logits"] = forward()
        model.base_model.merge_adapter()  # merge_and_unload would give the same weights, but we keep the adapter for training
        out["merged_logits"] = forward()
        model.base_model.unmerge_adapter()
    for name in ("base_logits", "logits", "merged_logits"):
        report.check(name, out[name], tolerance)

    if steps:
        trainable = trainable_by_key(model)
        our_keys = {k[len("step1.grad."):] for k in ours if k.startswith("step1.grad.")}
        if our_keys != {key for key, _ in trainable}:
            print(f"FAIL trainable keys differ: only ours {sorted(our_keys - {k for k, _ in trainable})}, "
                  f"only PEFT {sorted({k for k, _ in trainable} - our_keys)}")
            report.failures += 1
        optimizer = torch.optim.AdamW(
            [p for _, p in trainable],
            lr=float(meta["lr"]),
            betas=tuple(float(b) for b in meta["betas"].split(",")),
            eps=float(meta["eps"]),
            weight_decay=float(meta["weight_decay"]),
        )
        for step in range(1, steps + 1):
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(forward(), ours["labels"])
            loss.backward()
            out[f"step{step}.loss"] = loss.detach()
            for key, p in trainable:
                out[f"step{step}.grad.{key}"] = torch.zeros_like(p) if p.grad is None else p.grad.detach().clone()
            optimizer.step()
            for key, p in trainable:
                out[f"step{step}.param.{key}"] = p.detach().clone()
            report.check(f"step{step}.loss", out[f"step{step}.loss"], tolerance)
            for key, _ in trainable:
                grad = out[f"step{step}.grad.{key}"]
                report.check(f"step{step}.grad.{key}", grad, GRAD_RELATIVE_TOLERANCE * grad.abs().max().item())
                report.check(f"step{step}.param.{key}", out[f"step{step}.param.{key}"], PARAM_TOLERANCE)
        with torch.no_grad():
            out["trained_logits"] = forward()
        report.check("trained_logits", out["trained_logits"], tolerance)

    if args.out:
        save_file({k: v.contiguous() for k, v in out.items()}, args.out)
    print(f"{report.failures} check(s) failed." if report.failures else "All checks passed.")
    sys.exit(1 if report.failures else 0)


if __name__ == "__main__":
    main()
