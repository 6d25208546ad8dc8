model "dir" "base" {
  path = "./not-synthesized-yet"
  id   = "m"
}

push "layout" "p" {
  bundle = bundle.b
  path   = "./out/oci"
}

bundle "modelpack" "b" {
  from = model.base
  name = "x"
}
