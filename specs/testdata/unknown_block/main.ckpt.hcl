resource "dir" "base" {
  path = "./base"
}

modle "dir" "base" {
  path = "./base"
}
