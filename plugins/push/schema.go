// Package push is the built-in push "registry" and push "layout" steps:
// copying a bundle and its referrers to an OCI registry or layout folder,
// then, with sign_key, signing it there as cosign does.
package push

import (
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Components returns the package's step types.
func Components() []sdk.Component {
	bundle := specv1.Attribute{Name: "bundle", Type: specv1.TypeStep, Kinds: []string{specv1.KindBundle}, Required: true, Description: "Bundle to publish."}
	concurrency := specv1.Attribute{Name: "concurrency", Type: specv1.TypeNumber, Description: "Blobs sent at once (default 3)."}
	unlicensed := specv1.Attribute{Name: "allow_unlicensed", Type: specv1.TypeBool, Description: "Publish even without license information."}
	signKey := specv1.Attribute{Name: "sign_key", Type: specv1.TypePath, Description: "Cosign private key (cosign.key) that signs the pushed manifest and attests its provenance, license report and ML-BOM."}
	signPassword := specv1.Attribute{Name: "sign_password_env", Type: specv1.TypeString, Description: "Environment variable holding the key's password (default COSIGN_PASSWORD)."}
	publishes := specv1.Capabilities{Publishes: true, Records: []string{specv1.RecordPushed}, RemoteInputs: true}
	return []sdk.Component{
		component{desc: specv1.Component{Kind: specv1.KindPush, Type: "registry",
			Description: "Push a bundle to an OCI registry.", Capabilities: publishes,
			Schema: specv1.Schema{Attributes: []specv1.Attribute{bundle,
				{Name: "ref", Type: specv1.TypeString, Required: true, Published: true, Description: "Target reference, e.g. localhost:5000/models/support:v1."},
				{Name: "plain_http", Type: specv1.TypeBool, Description: "Use plain HTTP (local registries)."},
				unlicensed, concurrency, signKey, signPassword,
			}}}},
		component{desc: specv1.Component{Kind: specv1.KindPush, Type: "layout",
			Description: "Copy a bundle into an OCI image layout folder.", Capabilities: publishes,
			Schema: specv1.Schema{Attributes: []specv1.Attribute{bundle,
				{Name: "path", Type: specv1.TypePath, Required: true, Description: "OCI layout folder."},
				{Name: "tag", Type: specv1.TypeString, Published: true, Description: "Tag in the layout (default: latest)."},
				unlicensed, signKey, signPassword,
			}}}},
	}
}
