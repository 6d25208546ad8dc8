variable "declared" {
  default = "x"
}

model "dir" "base" {
  path    = "."
  id      = var.delcared
  license = local.nothing
}
