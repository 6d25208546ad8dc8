// Package mlbom writes a bundle's ML-BOM: a CycloneDX 1.6 document whose
// subject is a component of type machine-learning-model with its model card
// (architecture, datasets, eval results), its license expression, one file
// component per file of the bundle with that file's SHA-256, and the models,
// adapters and datasets it was made from, each a component the model depends
// on.
//
// The document is made from ckpt's artifact metadata (specs/v1 Metadata and
// its lineage) and the bundle's file list, and is deterministic: no
// timestamp, and a serial number derived from the content it describes.
package mlbom
