# An auditor's policy for products sold to customers.
use          = "commercial"
redistribute = true
