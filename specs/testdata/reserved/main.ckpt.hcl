model "dir" "base" {
  path       = "."
  id         = "m"
  timeout    = "soon"
  on_failure = "maybe"
}

model "dir" "other" {
  path       = "."
  id         = "o"
  timeout    = "-5m"
  depends_on = [model.base.id, "model.base"]
}
