package gguf

// array builds a typed slice for a GGUF array of scalars.
type array struct {
	t ValueType
	v any
}

func newArray(t ValueType, n int) *array {
	a := &array{t: t}
	switch t {
	case TypeUint8:
		a.v = make([]uint8, n)
	case TypeInt8:
		a.v = make([]int8, n)
	case TypeBool:
		a.v = make([]bool, n)
	case TypeUint16:
		a.v = make([]uint16, n)
	case TypeInt16:
		a.v = make([]int16, n)
	case TypeUint32:
		a.v = make([]uint32, n)
	case TypeInt32:
		a.v = make([]int32, n)
	case TypeFloat32:
		a.v = make([]float32, n)
	case TypeUint64:
		a.v = make([]uint64, n)
	case TypeInt64:
		a.v = make([]int64, n)
	case TypeFloat64:
		a.v = make([]float64, n)
	}
	return a
}

func (a *array) set(i int, x any) {
	switch s := a.v.(type) {
	case []uint8:
		s[i] = x.(uint8)
	case []int8:
		s[i] = x.(int8)
	case []bool:
		s[i] = x.(bool)
	case []uint16:
		s[i] = x.(uint16)
	case []int16:
		s[i] = x.(int16)
	case []uint32:
		s[i] = x.(uint32)
	case []int32:
		s[i] = x.(int32)
	case []float32:
		s[i] = x.(float32)
	case []uint64:
		s[i] = x.(uint64)
	case []int64:
		s[i] = x.(int64)
	case []float64:
		s[i] = x.(float64)
	}
}

func (a *array) value() any { return a.v }
