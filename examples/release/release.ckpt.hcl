# A release with two adapters on an HF-layout base: a PEFT rsLoRA adapter
# trained on support tickets and a mistral-finetune style adapter under the
# Mistral AI Non-Production License. The license gate decides by var.use:
#
#   ckpt build .                          # use = "research": passes
#   ckpt build . --var use=commercial     # refused at check.license, naming adapter.style
#
# Inputs are synthesized by run.sh (ckpt synth); the release goes into the
# OCI layout folder ./out/oci (ckpt push .), or to a registry with
# ckpt push --bundle DIR REF.

variable "use" {
  type        = string
  default     = "research"
  description = "Intended use the license gate checks: research, commercial or production."

  validation {
    condition     = contains(["research", "commercial", "production"], var.use)
    error_message = "The use must be research, commercial or production."
  }
}

variable "tag" {
  type        = string
  default     = "2026-11-27"
  description = "Tag of the release in the OCI layout."
}

model "dir" "base" {
  path    = "./base"
  id      = "mistral-small-base-2026-11"
  license = "Apache-2.0"
}

dataset "chat" "tickets" {
  train      = "./data/train.jsonl"
  validation = "./data/validation.jsonl"
  id         = "support-tickets@2026-11"
  license    = "CC-BY-4.0"
}

adapter "peft" "tickets" {
  path    = "./adapters/tickets"
  base    = model.base
  id      = "tickets-rslora-2026-11"
  license = "Apache-2.0"
  training = {
    dataset         = dataset.tickets.id
    hyperparameters = { lr = 2e-4, epochs = 2, rank = 16 }
  }
}

adapter "mistral-finetune" "style" {
  path    = "./adapters/style"
  base    = model.base
  id      = "house-style-2026-10"
  license = "LicenseRef-MNPL-0.1"
}

merge "lora" "release" {
  base     = model.base
  adapters = [adapter.tickets, adapter.style]
  weights  = [1.0, 0.5]
  dtype    = "bf16"
  id       = "support-assistant-small-${var.tag}"
}

check "runtime" "serve" {
  target   = merge.release
  runtimes = ["transformers"]
}

check "license" "release" {
  target = merge.release
  use    = var.use
}

eval "json" "format" {
  target             = merge.release
  predictions        = "./evals/predictions.jsonl"
  schema             = "./evals/ticket.schema.json"
  min_valid          = 0.99
  min_field_accuracy = 0.9
}

bundle "modelpack" "release" {
  from = merge.release
  name = "support-assistant-small"
}

push "layout" "release" {
  bundle = bundle.release
  path   = "./out/oci"
  tag    = var.tag
}
