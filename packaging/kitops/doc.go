// Package kitops writes KitOps ModelKits: a Kitfile config
// (application/vnd.kitops.modelkit.config.v1+json, the Kitfile as JSON with
// each entry's layer digest) and one deterministic tar layer per file
// (application/vnd.kitops.modelkit.{model,modelpart,code,dataset,docs}.v1.tar),
// which kit pull and kit unpack read.
package kitops
