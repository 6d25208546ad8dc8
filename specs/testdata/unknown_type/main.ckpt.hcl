model "dri" "base" {
  path = "."
  id   = "m"
}

check "licence" "l" {
  target = model.base
}
