model "dir" {
  path = "."
  id   = "m"
}

merge "lora" "a" "b" {
  base = model.x
}

variable {
  default = 1
}
