model "dir" "base" {
  path = "."
  id   = "m"
}

check "runtime" "serve" {
  target   = model.base
  runtimes = "vllm-mistral"
}

eval "json" "format" {
  target      = model.base
  predictions = "."
  min_valid   = "high"
}

check "license" "release" {
  target       = model.base
  use          = "commercial"
  redistribute = { yes = true }
}
