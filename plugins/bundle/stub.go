package bundle

import (
	"context"
	"errors"

	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// component is a placeholder until the step is implemented.
type component struct{ desc specv1.Component }

func (c component) Describe() specv1.Component { return c.desc }

func (c component) Validate(context.Context, *specv1.ValidateRequest) []specv1.Diagnostic { return nil }

func (c component) Run(context.Context, *specv1.RunRequest, sdk.Events) (*specv1.Metadata, error) {
	return nil, errors.New(c.desc.Address() + ": not implemented yet")
}
