# The example external plugin at work: check "sha256sums" writes a
# SHA256SUMS manifest of a model's files (verifiable with `sha256sum -c`)
# and, given `expected`, verifies the files against a published manifest.
#
# From the repository root:
#   go build -o examples/plugins/sha256sums/bin/ckpt-plugin-sha256sums ./examples/plugins/sha256sums
#   ckpt synth model examples/plugins/sha256sums/model --layout native --seed 1
#   ckpt init examples/plugins/sha256sums     # installs and pins the plugin
#   ckpt build examples/plugins/sha256sums

ckpt {
  required_plugins {
    sha256sums = { source = "./bin/ckpt-plugin-sha256sums", version = "0.1.0" }
  }
}

model "dir" "base" {
  path    = "./model"
  id      = "mistral-7b-instruct-v0.3"
  license = "Apache-2.0"
}

check "sha256sums" "base" {
  target  = model.base
  exclude = ["*.md"]
}
