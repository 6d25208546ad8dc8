// Package safetensors reads and writes the safetensors checkpoint format
// (huggingface/safetensors): an 8-byte little-endian header length, a JSON
// header naming each tensor's dtype, shape and data offsets, then the data.
//
// The reader enforces every rule of the reference implementation (header
// length limit, UTF-8 JSON, no duplicate keys, known dtypes, byte counts
// equal to shape × dtype size, offsets that tile the data exactly, string-only
// __metadata__) and gives tensors by name without reading the whole file.
// The writer streams tensors in the reference order (descending dtype
// alignment, then name) after a space-padded header. The sharded index
// (*.safetensors.index.json) is read, checked and written here too.
package safetensors
