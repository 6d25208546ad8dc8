model "dir" "base" {
  path = "."
  id   = "m2"
}

# A different kind may reuse the name.
adapter "peft" "base" {
  path = "."
  base = model.base
}
