# The example external runner at work: runner "table" answers the prompts
# from recorded outputs, and eval "json" scores them like any runner's.
#
# From the repository root:
#   go build -o examples/plugins/table/bin/ckpt-plugin-table ./examples/plugins/table
#   ckpt synth model examples/plugins/table/model --layout native --seed 1
#   ckpt init examples/plugins/table     # installs and pins the plugin
#   ckpt build examples/plugins/table

ckpt {
  required_plugins {
    table = { source = "./bin/ckpt-plugin-table", version = "0.1.0" }
  }
}

model "dir" "base" {
  path    = "./model"
  id      = "mistral-7b-instruct-v0.3"
  license = "Apache-2.0"
}

runner "table" "recorded" {
  target  = model.base
  prompts = "./prompts.jsonl"
  answers = "./answers.jsonl"
}

eval "json" "format" {
  target           = model.base
  predictions_from = runner.recorded
  schema           = "./ticket.schema.json"
  min_valid        = 1
}
