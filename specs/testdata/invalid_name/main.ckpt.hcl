model "dir" "1st" {
  path = "."
  id   = "m"
}
