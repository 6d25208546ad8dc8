model "dir" "base" {
  path = "."
}

merge "lora" "m" {
  base = model.base
}
