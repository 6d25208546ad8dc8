model "dir" "base" {
  pth     = "."
  id      = "m"
  licence = "Apache-2.0"
  colour  = "blue"
}
