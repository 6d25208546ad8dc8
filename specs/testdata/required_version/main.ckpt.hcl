ckpt {
  required_version = ">= 9.0"
  required_plugins {
    mergekit = { source = "registry.example.com/ckpt-plugins/mergekit", version = "1.2.0" }
    broken   = "1.0"
  }
}

model "dir" "base" {
  path = "."
  id   = "m"
}
