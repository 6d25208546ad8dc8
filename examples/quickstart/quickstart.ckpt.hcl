# Quickstart: merge a LoRA adapter into a Mistral base model, gate the
# result on license, runtime and a strict-JSON eval, bundle it as a CNCF
# ModelPack artifact and copy it into an OCI layout folder.
#
# The checkpoints are synthesized first (ckpt synth), then: ckpt build .

ckpt {
  required_version = ">= 0.1.0"
}

variable "tag" {
  type        = string
  default     = "2026-11-27"
  description = "Tag of the release in the OCI layout."

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$", var.tag))
    error_message = "The tag must be a valid OCI tag."
  }
}

model "dir" "base" {
  path    = "./base"
  id      = "mistral-7b-instruct-v0.3"
  license = "Apache-2.0"
}

adapter "peft" "support" {
  path    = "./adapters/support"
  base    = model.base
  id      = "support-lora-2026-10-01"
  license = "Apache-2.0"
  training = {
    dataset         = "support-tickets@2026-10-01"
    hyperparameters = { lr = 1e-4, epochs = 3 }
  }
}

merge "lora" "support" {
  base     = model.base
  adapters = [adapter.support]
  dtype    = "bf16"
  id       = "support-assistant-2026-11-27"
}

check "runtime" "serve" {
  target   = merge.support
  runtimes = ["vllm-mistral"]
}

check "license" "release" {
  target       = merge.support
  use          = "commercial"
  redistribute = true
}

eval "json" "format" {
  target      = merge.support
  predictions = "./evals/predictions.jsonl"
  schema      = "./evals/ticket.schema.json"
  min_valid   = 0.99
}

bundle "modelpack" "release" {
  from = merge.support
  name = "support-assistant"
}

push "layout" "release" {
  bundle = bundle.release
  path   = "./out/oci"
  tag    = var.tag
}
