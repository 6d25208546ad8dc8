package jsoneval

// Category is the outcome of classifying one output.
type Category string

// Categories, in report order.
const (
	CategoryOK                 Category = "ok"
	CategoryNoJSONStart        Category = "no_json_start"
	CategoryUnterminated       Category = "unterminated_json"
	CategoryTrailing           Category = "trailing_text"
	CategoryInvalid            Category = "invalid_json"
	CategoryMissingRequired    Category = "missing_required"
	CategoryTypeMismatch       Category = "type_mismatch"
	CategoryRange              Category = "range_violation"
	CategoryUnexpectedProperty Category = "unexpected_property"
)

// Categories returns every category in report order, ok first.
func Categories() []Category {
	return []Category{CategoryOK, CategoryNoJSONStart, CategoryUnterminated, CategoryTrailing,
		CategoryInvalid, CategoryMissingRequired, CategoryTypeMismatch, CategoryRange,
		CategoryUnexpectedProperty}
}

// Known reports whether c is one of Categories.
func (c Category) Known() bool {
	for _, k := range Categories() {
		if k == c {
			return true
		}
	}
	return false
}

// Syntax reports whether c is a parse failure (the output is not JSON).
func (c Category) Syntax() bool {
	switch c {
	case CategoryNoJSONStart, CategoryUnterminated, CategoryTrailing, CategoryInvalid:
		return true
	}
	return false
}

// Extract says whether JSON may be pulled out of surrounding text.
type Extract string

// Extraction modes; the zero value is ExtractNone.
const (
	ExtractNone        Extract = "none"
	ExtractFenced      Extract = "fenced"
	ExtractFirstObject Extract = "first_object"
)

// ParseExtract checks an extract mode name; "" is ExtractNone.
func ParseExtract(s string) (Extract, bool) {
	switch Extract(s) {
	case "", ExtractNone:
		return ExtractNone, true
	case ExtractFenced, ExtractFirstObject:
		return Extract(s), true
	}
	return "", false
}
