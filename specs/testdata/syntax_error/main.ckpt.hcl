model "dir" "base" {
  path = "."
  id   = "m", license = "x"
}
