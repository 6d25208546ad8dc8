model "dir" "base" {
  path       = "."
  id         = "m"
  depends_on = [merge.m]
}

adapter "peft" "a" {
  path = "."
  base = model.base
}

merge "lora" "m" {
  base     = model.base
  adapters = [adapter.a]
}

model "dir" "self" {
  path = "."
  id   = model.self.id
}

model "dir" "ok" {
  path = "."
  id   = "ok"
}
