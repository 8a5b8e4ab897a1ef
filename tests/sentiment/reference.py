"""Python references for the sentiment plugins' fidelity tests (transformers + peft on torch CPU).

Run with the venv of .ci/services/torch.sh: `$TRADEPIPE_TORCH_PYTHON tests/sentiment/reference.py <command> <request.json>`.
The request is a JSON file; results are written where the request says (JSON, or safetensors for weights).

Commands:
  tokenize   AutoTokenizer ids for sentences with truncation at each of max_lengths
  logits     BertForSequenceClassification logits with a given classifier (safetensors)
  step       one Trainer-style optimizer step of a peft LoRA model from given initial adapter weights
  predict    probabilities of a saved adapter loaded with PeftModel.from_pretrained
  train      a full peft fine-tuning run (Trainer semantics) and its weighted F1 on a test set
  metrics    scikit-learn's classification metrics for cases of given label indices
"""
import json
import math
import sys
import time
import resource

import torch
from safetensors.torch import load_file, save_file
from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup
from peft import LoraConfig, PeftModel, TaskType, get_peft_model, set_peft_model_state_dict

torch.set_num_threads(int(__import__("os").environ.get("TORCH_THREADS", "2")))


def tokenize(request):
    tok = AutoTokenizer.from_pretrained(request["encoder"])
    return {"ids": {str(n): [tok(s, truncation=True, max_length=n)["input_ids"] for s in request["sentences"]] for n in request["max_lengths"]}}


def batch(tok, sentences, max_length):
    return tok(sentences, truncation=True, max_length=max_length, padding=True, return_tensors="pt")


def base_model(request, labels):
    model = AutoModelForSequenceClassification.from_pretrained(request["encoder"], num_labels=labels)
    model.eval()
    return model


def logits(request):
    tok = AutoTokenizer.from_pretrained(request["encoder"])
    classifier = load_file(request["classifier"])
    model = base_model(request, classifier["weight"].shape[0])
    with torch.no_grad():
        model.classifier.weight.copy_(classifier["weight"])
        model.classifier.bias.copy_(classifier["bias"])
        out = model(**batch(tok, request["sentences"], request["max_length"])).logits
    return {"logits": out.tolist()}


def lora_model(request, labels):
    model = AutoModelForSequenceClassification.from_pretrained(request["encoder"], num_labels=labels)
    config = LoraConfig(
        task_type=TaskType.SEQ_CLS,
        r=request["r"],
        lora_alpha=request["lora_alpha"],
        lora_dropout=request.get("lora_dropout", 0.0),
        target_modules=request["target_modules"],
    )
    return get_peft_model(model, config)


def trainer_optimizer(model, request, total_steps):
    """As transformers.Trainer builds them: AdamW with weight decay except on biases and LayerNorm weights, linear warm-up/decay."""
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    decay = [p for n, p in params if not (n.endswith("bias") or "LayerNorm" in n)]
    no_decay = [p for n, p in params if n.endswith("bias") or "LayerNorm" in n]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": request["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}],
        lr=request["learning_rate"], betas=(0.9, 0.999), eps=1e-8,
    )
    warmup = math.ceil(total_steps * request["warmup_ratio"])
    return optimizer, get_linear_schedule_with_warmup(optimizer, warmup, total_steps)


def adapter_state(model):
    from peft import get_peft_model_state_dict
    return {k: v.detach().clone().contiguous() for k, v in get_peft_model_state_dict(model).items()}


def step(request):
    """Initial weights come from peft's own init (lora_B then set to small seeded values so lora_A gets a gradient);
    they are saved, one step runs with every dropout off, and the weights after it are saved."""
    torch.manual_seed(request["seed"])
    tok = AutoTokenizer.from_pretrained(request["encoder"])
    model = lora_model(request, len(request["labels_order"]))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn_like(p) * 0.01)
    save_file(adapter_state(model), request["initial"])
    model.eval()  # every dropout off; gradients still flow
    optimizer, scheduler = trainer_optimizer(model, request, request["total_steps"])
    for _ in range(request["steps_before"]):
        scheduler.step()
    enc = batch(tok, request["sentences"], request["max_length"])
    lr = scheduler.get_last_lr()[0]
    first = None
    # `steps` optimizer steps on the same batch (default 1); the gradients and loss reported are the first step's.
    for _ in range(request.get("steps", 1)):
        out = model(**enc, labels=torch.tensor(request["labels"]))
        out.loss.backward()
        if first is None:
            first = out
            grads = {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], request["max_grad_norm"])
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
    out = first
    save_file(adapter_state(model), request["after"])
    grad_state = {}
    for n, g in grads.items():
        key = n.replace(".default", "").replace("modules_to_save.", "")
        grad_state[key] = g.contiguous()
    save_file(grad_state, request["grads"])
    return {"loss": out.loss.item(), "logits": out.logits.tolist(), "learning_rate": lr}


def predict(request):
    tok = AutoTokenizer.from_pretrained(request["encoder"])
    base = AutoModelForSequenceClassification.from_pretrained(request["encoder"], num_labels=request["num_labels"])
    model = PeftModel.from_pretrained(base, request["model"])
    model.eval()
    with torch.no_grad():
        out = model(**batch(tok, request["sentences"], request["max_length"])).logits
    return {"probabilities": torch.softmax(out, -1).tolist()}


def train(request):
    """peft + Trainer semantics (AdamW, linear warm-up/decay, grad-norm clipping, dropout on) written as a plain loop so
    the timing covers the same work as ours; returns weighted F1 on the test set, examples/s and headlines/s."""
    from sklearn.metrics import f1_score
    torch.manual_seed(request["seed"])
    tok = AutoTokenizer.from_pretrained(request["encoder"])
    labels_order = request["labels_order"]
    model = lora_model(request, len(labels_order))
    texts, labels = request["train_texts"], request["train_labels"]
    steps_per_epoch = math.ceil(len(texts) / request["batch_size"])
    total = steps_per_epoch * request["epochs"]
    optimizer, scheduler = trainer_optimizer(model, request, total)
    g = torch.Generator().manual_seed(request["seed"])
    model.train()
    # Untimed warm-up steps on the first batch (allocator, thread pool), as the JS bench does.
    for _ in range(request.get("warmup_batches", 0)):
        enc = batch(tok, texts[:request["batch_size"]], request["max_length"])
        model(**enc, labels=torch.tensor(labels[:request["batch_size"]])).loss.backward()
        optimizer.zero_grad()
    start = time.perf_counter()
    for _ in range(request["epochs"]):
        order = torch.randperm(len(texts), generator=g).tolist()
        for s in range(steps_per_epoch):
            idx = order[s * request["batch_size"]:(s + 1) * request["batch_size"]]
            enc = batch(tok, [texts[i] for i in idx], request["max_length"])
            loss = model(**enc, labels=torch.tensor([labels[i] for i in idx])).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
    train_seconds = time.perf_counter() - start
    model.eval()
    predicted = []
    eval_batch = request.get("eval_batch_size", request["batch_size"])
    with torch.inference_mode():
        model(**batch(tok, request["test_texts"][:eval_batch], request["max_length"]))  # warm-up
        start = time.perf_counter()
        for s in range(0, len(request["test_texts"]), eval_batch):
            enc = batch(tok, request["test_texts"][s:s + eval_batch], request["max_length"])
            predicted += model(**enc).logits.argmax(-1).tolist()
    infer_seconds = time.perf_counter() - start
    return {
        "weighted_f1": f1_score(request["test_labels"], predicted, average="weighted"),
        "train_examples_per_s": len(texts) * request["epochs"] / train_seconds,
        "headlines_per_s": len(request["test_texts"]) / infer_seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def metrics(request):
    return {"cases": [case_metrics(c["truth"], c["predicted"], list(range(len(request["labels"])))) for c in request["cases"]]}


def case_metrics(t, p, labels):
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
    precision, recall, f1, support = precision_recall_fscore_support(t, p, labels=labels, zero_division=0)
    return {
        "weighted_f1": f1_score(t, p, average="weighted", zero_division=0),
        "macro_f1": f1_score(t, p, average="macro", zero_division=0),
        "accuracy": accuracy_score(t, p),
        "precision": precision.tolist(), "recall": recall.tolist(), "f1": f1.tolist(), "support": support.tolist(),
        "confusion_matrix": confusion_matrix(t, p, labels=labels).tolist(),
    }


if __name__ == "__main__":
    command, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        request = json.load(f)
    result = {"tokenize": tokenize, "logits": logits, "step": step, "predict": predict, "train": train, "metrics": metrics}[command](request)
    json.dump(result, sys.stdout)
