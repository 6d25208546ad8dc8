model "dir" "base" {
  path = "."
  id   = "m"
}

adapter "peft" "a" {
  path = "."
  base = model.base
}

merge "lora" "m" {
  base     = adapter.a
  adapters = [adapter.a, model.base]
}

bundle "modelpack" "b" {
  from = "merge.m"
  name = "x"
}

push "layout" "p" {
  bundle = bundle.b.digest
  path   = "./out"
}
