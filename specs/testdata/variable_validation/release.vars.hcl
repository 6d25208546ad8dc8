from_file  = "1.0"
not_a_var  = "x"
