model "dir" "base" {
  path = "."
  id   = "m1"
}
