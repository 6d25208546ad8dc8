variable "tag" {
  type    = string
  default = "Not A Tag!"

  validation {
    condition     = can(regex("^[a-z0-9.-]+$", var.tag))
    error_message = "The tag must be lowercase letters, digits, dots and dashes."
  }

  validation {
    condition     = length(var.tag) <= 8
    error_message = "The tag must be at most 8 characters."
  }
}

variable "count" {
  type    = number
  default = 3

  validation {
    condition     = var.count > 0
    error_message = "Must be positive."
  }
}

variable "from_flag" {
  type = number

  validation {
    condition     = var.from_flag < 10
    error_message = "Must be below 10."
  }
}

variable "from_file" {
  type = string

  validation {
    condition     = substr(var.from_file, 0, 1) == "v"
    error_message = "Must start with v."
  }
}

variable "required" {
  type = string
}

variable "wrong" {
  type    = number
  default = "not a number"
}

model "dir" "base" {
  path = "."
  id   = "m-${var.tag}"
}
