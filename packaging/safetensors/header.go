package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"sort"
	"unicode/utf8"
)

// MaxHeaderSize is the reference reader's limit on the JSON header length.
const MaxHeaderSize = 100_000_000

// Errors of the reference reader, wrapped with the file and tensor concerned.
var (
	ErrHeaderTooSmall      = errors.New("file shorter than 8 bytes (HeaderTooSmall)")
	ErrHeaderTooLarge      = errors.New("header length above 100000000 bytes (HeaderTooLarge)")
	ErrInvalidHeaderLength = errors.New("header length beyond end of file (InvalidHeaderLength)")
	ErrInvalidHeader       = errors.New("header is not valid UTF-8 (InvalidHeader)")
	ErrHeaderJSON          = errors.New("header is not a valid JSON object (InvalidHeaderDeserialization)")
	ErrDuplicateKey        = errors.New("duplicate key in header")
	ErrUnknownDType        = errors.New("unknown dtype")
	ErrMetadata            = errors.New("__metadata__ must map strings to strings")
	ErrInvalidOffset       = errors.New("data offsets do not tile the buffer (InvalidOffset)")
	ErrOverflow            = errors.New("tensor size overflows (ValidationOverflow)")
	ErrMisaligned          = errors.New("tensor bits not a multiple of 8 (MisalignedSlice)")
	ErrTensorInvalidInfo   = errors.New("byte count differs from shape × dtype size (TensorInvalidInfo)")
	ErrIncompleteBuffer    = errors.New("data buffer size differs from the last offset (MetadataIncompleteBuffer)")
	ErrNotFound            = errors.New("no such tensor")
)

// TensorInfo describes one tensor: its dtype, shape and data offsets
// relative to the data buffer (End exclusive).
type TensorInfo struct {
	Name       string
	DType      DType
	Shape      []int64
	Begin, End int64
}

// Len returns the tensor's byte count.
func (t TensorInfo) Len() int64 { return t.End - t.Begin }

// Elements returns the product of the shape (1 for a scalar).
func (t TensorInfo) Elements() int64 {
	n := int64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Header is a parsed and validated safetensors header.
type Header struct {
	// Metadata is the optional __metadata__ map (nil when absent).
	Metadata map[string]string
	// Tensors are sorted by data offset.
	Tensors []TensorInfo
	// DataOffset is the file offset of the data buffer, 8 + header length.
	DataOffset int64
	// Warnings are oddities the reference reader accepts (leading spaces).
	Warnings []string
	index    map[string]int
}

// Tensor returns the tensor named name.
func (h *Header) Tensor(name string) (TensorInfo, bool) {
	i, ok := h.index[name]
	if !ok {
		return TensorInfo{}, false
	}
	return h.Tensors[i], true
}

// DataSize is the byte count of the data buffer.
func (h *Header) DataSize() int64 {
	if len(h.Tensors) == 0 {
		return 0
	}
	return h.Tensors[len(h.Tensors)-1].End
}

// ReadHeader reads and validates the header of a safetensors file of the
// given size, reading only the header bytes.
func ReadHeader(r io.ReaderAt, size int64) (*Header, error) {
	if size < 8 {
		return nil, ErrHeaderTooSmall
	}
	var lb [8]byte
	if _, err := r.ReadAt(lb[:], 0); err != nil {
		return nil, fmt.Errorf("reading header length: %w", err)
	}
	n := binary.LittleEndian.Uint64(lb[:])
	if n > MaxHeaderSize {
		return nil, fmt.Errorf("%w: %d", ErrHeaderTooLarge, n)
	}
	if 8+int64(n) > size {
		return nil, fmt.Errorf("%w: %d bytes in a %d-byte file", ErrInvalidHeaderLength, n, size)
	}
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, 8); err != nil {
		return nil, fmt.Errorf("reading header: %w", err)
	}
	return ParseHeader(buf, size)
}

// ParseHeader validates header bytes (without the 8-byte length prefix)
// against a file of fileSize bytes.
func ParseHeader(buf []byte, fileSize int64) (*Header, error) {
	if int64(len(buf)) > MaxHeaderSize {
		return nil, ErrHeaderTooLarge
	}
	if !utf8.Valid(buf) {
		return nil, ErrInvalidHeader
	}
	h := &Header{DataOffset: 8 + int64(len(buf)), index: map[string]int{}}
	if len(buf) > 0 && buf[0] != '{' {
		h.Warnings = append(h.Warnings, "header does not start with '{' (leading whitespace)")
	}
	if err := parseObject(buf, h); err != nil {
		return nil, err
	}
	if err := h.validate(fileSize); err != nil {
		return nil, err
	}
	return h, nil
}

// parseObject reads the top-level object token by token, refusing
// duplicate keys and trailing non-whitespace.
func parseObject(buf []byte, h *Header) error {
	dec := json.NewDecoder(bytes.NewReader(buf))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("%w: expected an object", ErrHeaderJSON)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%w: %v", ErrHeaderJSON, err)
		}
		key, _ := tok.(string)
		if seen[key] {
			return fmt.Errorf("%w: %q", ErrDuplicateKey, key)
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("%w: value of %q: %v", ErrHeaderJSON, key, err)
		}
		if err := h.addEntry(key, raw); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("%w: %v", ErrHeaderJSON, err)
	}
	rest := buf[dec.InputOffset():]
	if len(bytes.Trim(rest, " \t\r\n")) != 0 {
		return fmt.Errorf("%w: trailing characters after the object", ErrHeaderJSON)
	}
	return nil
}

func (h *Header) addEntry(key string, raw json.RawMessage) error {
	if key == "__metadata__" {
		return h.addMetadata(raw)
	}
	t, err := parseTensor(key, raw)
	if err != nil {
		return err
	}
	h.index[key] = len(h.Tensors)
	h.Tensors = append(h.Tensors, t)
	return nil
}

func (h *Header) addMetadata(raw json.RawMessage) error {
	if err := checkDuplicateKeys(raw); err != nil {
		return fmt.Errorf("__metadata__: %w", err)
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil || m == nil && string(bytes.TrimSpace(raw)) != "null" {
		return ErrMetadata
	}
	h.Metadata = m
	return nil
}

type rawTensor struct {
	DType       *DType   `json:"dtype"`
	Shape       []uint64 `json:"shape"`
	DataOffsets []uint64 `json:"data_offsets"`
}

func parseTensor(name string, raw json.RawMessage) (TensorInfo, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("tensor %q: %w: %s", name, ErrHeaderJSON, fmt.Sprintf(format, a...))
	}
	if err := checkDuplicateKeys(raw); err != nil {
		return TensorInfo{}, fmt.Errorf("tensor %q: %w", name, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var rt rawTensor
	if err := dec.Decode(&rt); err != nil {
		return TensorInfo{}, bad("%v", err)
	}
	if rt.DType == nil || rt.Shape == nil || rt.DataOffsets == nil {
		return TensorInfo{}, bad("dtype, shape and data_offsets are required")
	}
	if len(rt.DataOffsets) != 2 {
		return TensorInfo{}, bad("data_offsets must have 2 elements")
	}
	if !rt.DType.Valid() {
		return TensorInfo{}, fmt.Errorf("tensor %q: %w %q", name, ErrUnknownDType, string(*rt.DType))
	}
	const limit = 1<<48 - 1
	t := TensorInfo{Name: name, DType: *rt.DType, Shape: make([]int64, len(rt.Shape))}
	for i, d := range rt.Shape {
		if d > limit {
			return TensorInfo{}, fmt.Errorf("tensor %q: %w: dimension %d", name, ErrOverflow, d)
		}
		t.Shape[i] = int64(d)
	}
	if rt.DataOffsets[0] > limit || rt.DataOffsets[1] > limit {
		return TensorInfo{}, fmt.Errorf("tensor %q: %w: offsets beyond 2^48", name, ErrOverflow)
	}
	t.Begin, t.End = int64(rt.DataOffsets[0]), int64(rt.DataOffsets[1])
	return t, nil
}

// checkDuplicateKeys refuses an object with a repeated key at its top level.
func checkDuplicateKeys(raw json.RawMessage) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil // not an object: the typed decode reports it
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		key, _ := tok.(string)
		if seen[key] {
			return fmt.Errorf("%w: %q", ErrDuplicateKey, key)
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil
		}
	}
	return nil
}

// validate applies Metadata::validate: offsets tile the buffer, byte counts
// match shapes, and the file ends exactly at the last tensor.
func (h *Header) validate(fileSize int64) error {
	sort.SliceStable(h.Tensors, func(i, j int) bool {
		a, b := h.Tensors[i], h.Tensors[j]
		if a.Begin != b.Begin {
			return a.Begin < b.Begin
		}
		return a.End < b.End
	})
	var start int64
	for i, t := range h.Tensors {
		h.index[t.Name] = i
		if t.Begin != start || t.End < t.Begin {
			return fmt.Errorf("tensor %q: %w: [%d,%d], expected begin %d", t.Name, ErrInvalidOffset, t.Begin, t.End, start)
		}
		start = t.End
		if err := checkSize(t); err != nil {
			return err
		}
	}
	if h.DataOffset+start != fileSize {
		return fmt.Errorf("%w: header and data need %d bytes, file has %d", ErrIncompleteBuffer, h.DataOffset+start, fileSize)
	}
	return nil
}

func checkSize(t TensorInfo) error {
	n := t.DType.Bits()
	for _, d := range t.Shape {
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 || lo > 1<<62 {
			return fmt.Errorf("tensor %q: %w", t.Name, ErrOverflow)
		}
		n = lo
	}
	if n%8 != 0 {
		return fmt.Errorf("tensor %q: %w: %d bits", t.Name, ErrMisaligned, n)
	}
	if int64(n/8) != t.Len() {
		return fmt.Errorf("tensor %q: %w: shape %v of %s needs %d bytes, offsets give %d",
			t.Name, ErrTensorInvalidInfo, t.Shape, t.DType, n/8, t.Len())
	}
	return nil
}
