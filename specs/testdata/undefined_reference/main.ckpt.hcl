model "dir" "base" {
  path = "."
  id   = "m"
}

adapter "peft" "a" {
  path = "."
  base = model.bsae
}

merge "lora" "m" {
  base     = model.base
  adapters = [adapter.a, adapter.nope]
  id       = "${model.base.idd}-merged"
}

bundle "modelpack" "b" {
  from = merge.m
  name = "x-${dataset.none.id}"
}
