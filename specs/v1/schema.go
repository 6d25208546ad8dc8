package v1

// Schema describes the configuration of one step type. Plugins declare it;
// the host turns it into an hcldec spec. It is a small typed description, not
// HCL's own type, so that it crosses the plugin wire as plain data.
type Schema struct {
	Attributes []Attribute `json:"attributes,omitempty"`
	Blocks     []Block     `json:"blocks,omitempty"`
}

// Attribute is one configuration attribute.
type Attribute struct {
	Name        string `json:"name"`
	Type        Type   `json:"type"`
	Required    bool   `json:"required,omitempty"`
	Description string `json:"description,omitempty"`
	// Kinds restricts a TypeStep or TypeSteps reference to steps of these
	// kinds (empty: any kind).
	Kinds []string `json:"kinds,omitempty"`
	// Sensitive values are shown and stored as "(sensitive)".
	Sensitive bool `json:"sensitive,omitempty"`
	// Published values end up where others read them: an artifact's id,
	// license, notices, lineage or training record, a tag or a pushed
	// reference. The core refuses a value derived from a sensitive variable
	// there, unless the spec wraps it in nonsensitive(...).
	Published bool `json:"published,omitempty"`
}

// Block is a nested block type.
type Block struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// List allows the block to repeat; otherwise it may appear once.
	List     bool   `json:"list,omitempty"`
	Required bool   `json:"required,omitempty"`
	Schema   Schema `json:"schema"`
}

// Type is the type of an attribute value.
type Type string

// Attribute types. In the config JSON a plugin receives, values are plain
// JSON; a TypeStep is the referenced step's address ("model.base") and a
// TypeSteps a list of addresses; a TypePath is made absolute against the
// spec's folder and its content is part of the step's cache key.
const (
	TypeString     Type = "string"
	TypeNumber     Type = "number"
	TypeBool       Type = "bool"
	TypeListString Type = "list(string)"
	TypeListNumber Type = "list(number)"
	TypeMapString  Type = "map(string)"
	TypeAny        Type = "any" // any JSON value (objects, nested maps)
	TypePath       Type = "path"
	TypeStep       Type = "step"
	TypeSteps      Type = "list(step)"
)

// Reserved attributes the core handles on every step; they are never sent to
// plugins.
const (
	AttrDependsOn = "depends_on"
	AttrTimeout   = "timeout"
	AttrOnFailure = "on_failure"
)

// Input attributes the core sets on inputs no attribute referenced.
const (
	AttrGate     = "gate"
	AttrBaseline = "baseline"
)
