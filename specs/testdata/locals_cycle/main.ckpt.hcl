locals {
  a = "${local.b}-a"
  b = "${local.c}-b"
  c = local.a
  d = local.missing
  e = "fine"
}

model "dir" "base" {
  path = "."
  id   = local.e
}
