// Package gguf reads and writes GGUF v3 files (llama.cpp's model format).
package gguf
