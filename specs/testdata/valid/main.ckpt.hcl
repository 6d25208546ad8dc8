ckpt {
  required_version = ">= 0.1.0, < 1.0.0"
}

variable "registry" {
  default = "localhost:5000/models"
}

variable "epochs" {
  type    = number
  default = 3
}

locals {
  base_id = lower("Mistral-7B-Instruct-v0.3")
  schema  = filesha256("./evals/ticket.schema.json")
}

model "dir" "base" {
  path    = "./base"
  id      = local.base_id
  license = "Apache-2.0"
}

adapter "peft" "support" {
  path    = "./adapters/support"
  base    = model.base
  license = "Apache-2.0"
  training = {
    dataset         = "support-tickets@2026-10-01"
    hyperparameters = { lr = 1e-4, epochs = var.epochs }
    schema_sha256   = local.schema
  }
}

merge "lora" "support" {
  base     = model.base
  adapters = [adapter.support]
  dtype    = "bf16"
  id       = "${model.base.id}-support"
  timeout  = "2h"
}

check "runtime" "serve" {
  target   = merge.support
  runtimes = ["vllm-mistral"]
}

check "license" "release" {
  target       = merge.support
  use          = "commercial"
  redistribute = true
  on_failure   = "warn"
}

eval "json" "format" {
  target      = merge.support
  predictions = "./evals/predictions.jsonl"
  schema      = "./evals/ticket.schema.json"
  min_valid   = 0.99
}

check "license" "unrelated" {
  target = model.other
  use    = "research"
}

model "dir" "other" {
  path = "./base"
  id   = "other"
}

bundle "modelpack" "release" {
  from = merge.support
  name = "support-assistant"
}

push "registry" "release" {
  bundle     = bundle.release
  ref        = "${var.registry}/support:2026-11-27"
  depends_on = [check.unrelated]
}
