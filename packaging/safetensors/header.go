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
	"strconv"
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

// parseObject reads the header in one pass, token by token: the top-level
// object, string-only __metadata__, and tensor entries with exactly the keys
// dtype, shape and data_offsets. Duplicate keys at any of these levels and
// trailing non-whitespace are refused.
func parseObject(buf []byte, h *Header) error {
	p := &tokens{dec: json.NewDecoder(bytes.NewReader(buf))}
	p.dec.UseNumber()
	if err := p.delim('{', ""); err != nil {
		return err
	}
	seen := map[string]bool{}
	for p.dec.More() {
		key, err := p.str("")
		if err != nil {
			return err
		}
		if seen[key] {
			return fmt.Errorf("%w: %q", ErrDuplicateKey, key)
		}
		seen[key] = true
		if key == "__metadata__" {
			err = h.readMetadata(p)
		} else {
			err = h.readTensor(p, key)
		}
		if err != nil {
			return err
		}
	}
	if err := p.delim('}', ""); err != nil {
		return err
	}
	if len(bytes.Trim(buf[p.dec.InputOffset():], " \t\r\n")) != 0 {
		return fmt.Errorf("%w: trailing characters after the object", ErrHeaderJSON)
	}
	return nil
}

// tokens reads typed JSON tokens; errors name the tensor they concern.
type tokens struct{ dec *json.Decoder }

func (p *tokens) fail(tensor, format string, a ...any) error {
	msg := fmt.Sprintf(format, a...)
	if tensor == "" {
		return fmt.Errorf("%w: %s", ErrHeaderJSON, msg)
	}
	return fmt.Errorf("tensor %q: %w: %s", tensor, ErrHeaderJSON, msg)
}

func (p *tokens) next(tensor string) (json.Token, error) {
	t, err := p.dec.Token()
	if err != nil {
		return nil, p.fail(tensor, "%v", err)
	}
	return t, nil
}

func (p *tokens) delim(d json.Delim, tensor string) error {
	t, err := p.next(tensor)
	if err != nil {
		return err
	}
	if t != d {
		return p.fail(tensor, "expected %q, got %v", d, t)
	}
	return nil
}

func (p *tokens) str(tensor string) (string, error) {
	t, err := p.next(tensor)
	if err != nil {
		return "", err
	}
	s, ok := t.(string)
	if !ok {
		return "", p.fail(tensor, "expected a string, got %v", t)
	}
	return s, nil
}

// uints reads an array of non-negative integers.
func (p *tokens) uints(tensor string) ([]uint64, error) {
	if err := p.delim('[', tensor); err != nil {
		return nil, err
	}
	out := []uint64{}
	for p.dec.More() {
		t, err := p.next(tensor)
		if err != nil {
			return nil, err
		}
		n, ok := t.(json.Number)
		if !ok {
			return nil, p.fail(tensor, "expected an integer, got %v", t)
		}
		v, err := strconv.ParseUint(string(n), 10, 64)
		if err != nil {
			return nil, p.fail(tensor, "%s is not a non-negative integer", n)
		}
		out = append(out, v)
	}
	return out, p.delim(']', tensor)
}

func (h *Header) readMetadata(p *tokens) error {
	t, err := p.next("")
	if err != nil {
		return err
	}
	if t == nil {
		return nil // "__metadata__": null
	}
	if t != json.Delim('{') {
		return ErrMetadata
	}
	h.Metadata = map[string]string{}
	for p.dec.More() {
		k, err := p.str("")
		if err != nil {
			return err
		}
		if _, dup := h.Metadata[k]; dup {
			return fmt.Errorf("__metadata__: %w: %q", ErrDuplicateKey, k)
		}
		v, err := p.next("")
		if err != nil {
			return err
		}
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%w: key %q", ErrMetadata, k)
		}
		h.Metadata[k] = s
	}
	return p.delim('}', "")
}

func (h *Header) readTensor(p *tokens, name string) error {
	if err := p.delim('{', name); err != nil {
		return err
	}
	var (
		dtype            string
		shape, offs      []uint64
		hasD, hasS, hasO bool
	)
	for p.dec.More() {
		k, err := p.str(name)
		if err != nil {
			return err
		}
		dup := false
		switch k {
		case "dtype":
			dup, hasD = hasD, true
			dtype, err = p.str(name)
		case "shape":
			dup, hasS = hasS, true
			shape, err = p.uints(name)
		case "data_offsets":
			dup, hasO = hasO, true
			offs, err = p.uints(name)
		default:
			return p.fail(name, "unknown field %q", k)
		}
		if dup {
			return fmt.Errorf("tensor %q: %w: %q", name, ErrDuplicateKey, k)
		}
		if err != nil {
			return err
		}
	}
	if err := p.delim('}', name); err != nil {
		return err
	}
	if !hasD || !hasS || !hasO {
		return p.fail(name, "dtype, shape and data_offsets are required")
	}
	t, err := newTensorInfo(name, DType(dtype), shape, offs)
	if err != nil {
		return err
	}
	h.index[name] = len(h.Tensors)
	h.Tensors = append(h.Tensors, t)
	return nil
}

func newTensorInfo(name string, dtype DType, shape, offs []uint64) (TensorInfo, error) {
	if len(offs) != 2 {
		return TensorInfo{}, fmt.Errorf("tensor %q: %w: data_offsets must have 2 elements", name, ErrHeaderJSON)
	}
	if !dtype.Valid() {
		return TensorInfo{}, fmt.Errorf("tensor %q: %w %q", name, ErrUnknownDType, string(dtype))
	}
	const limit = 1<<48 - 1
	t := TensorInfo{Name: name, DType: dtype, Shape: make([]int64, len(shape))}
	for i, d := range shape {
		if d > limit {
			return TensorInfo{}, fmt.Errorf("tensor %q: %w: dimension %d", name, ErrOverflow, d)
		}
		t.Shape[i] = int64(d)
	}
	if offs[0] > limit || offs[1] > limit {
		return TensorInfo{}, fmt.Errorf("tensor %q: %w: offsets beyond 2^48", name, ErrOverflow)
	}
	t.Begin, t.End = int64(offs[0]), int64(offs[1])
	return t, nil
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
